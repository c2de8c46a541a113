// Package appstest makes small real model files for the tests of package
// apps and of the apps that read them (Ollama's GGUF reader accepts them).
package appstest

import (
	"bytes"
	"encoding/binary"
)

// GGUF is a valid GGUF version 3 file: the key-values a model's header
// starts with (general.architecture, general.name, general.file_type 15,
// which is Q4_K_M, and a chat template), and one F32 tensor of elems
// elements, its data aligned to 32 bytes as the format asks.
func GGUF(arch string, elems int) []byte {
	var b bytes.Buffer
	put := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) } // a bytes.Buffer never fails
	str := func(s string) { put(uint64(len(s))); b.WriteString(s) }
	const typeUint32, typeString = 4, 8
	kv := []struct {
		key string
		val any
	}{
		{"general.architecture", arch},
		{"general.name", "tiny " + arch},
		{"general.file_type", uint32(15)},
		{"tokenizer.chat_template", "{% for m in messages %}{{ m['content'] }}{% endfor %}"},
	}
	b.WriteString("GGUF")
	put(uint32(3))
	put(uint64(1)) // tensors
	put(uint64(len(kv)))
	for _, e := range kv {
		str(e.key)
		switch v := e.val.(type) {
		case string:
			put(uint32(typeString))
			str(v)
		case uint32:
			put(uint32(typeUint32))
			put(v)
		}
	}
	str("token_embd.weight")
	put(uint32(1))        // dimensions
	put(uint64(elems))    // shape
	put(uint32(0))        // GGML_TYPE_F32
	put(uint64(0))        // offset in the data section
	for b.Len()%32 != 0 { // general.alignment defaults to 32
		b.WriteByte(0)
	}
	for i := range elems {
		put(float32(i) / 8)
	}
	return b.Bytes()
}
