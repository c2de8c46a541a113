package fetch

import (
	"errors"
	"testing"
)

func TestParseSHA256(t *testing.T) {
	const hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	const upper = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
	for _, typed := range []string{
		hex, upper, " " + hex + "\t\n", `"` + hex + `"`, "'" + upper + "'", "`" + hex + "`", "“" + hex + "”",
		"sha256:" + hex, "SHA256:" + upper, "sha-256: " + hex, "SHA-256=" + hex, "sha256 " + hex,
		hex + "  model.gguf", hex + " *model.gguf", "SHA2-256(model.gguf)= " + hex, "SHA256(model.gguf)= " + upper,
		"9f86d081 884c7d65 9a2feaa0 c55ad015 a3bf4f1b 2b0b822c d15d6c15 b0f00a08",
	} {
		got, err := ParseSHA256(typed)
		if err != nil || got != hex {
			t.Errorf("ParseSHA256(%q) = %q, %v; want %s", typed, got, err, hex)
		}
	}
	for _, typed := range []string{"", "  ", "\t", `""`} {
		if got, err := ParseSHA256(typed); got != "" || err != nil {
			t.Errorf("ParseSHA256(%q) = %q, %v; want no digest", typed, got, err)
		}
	}
	for _, typed := range []string{"abc", hex[:63], hex + "0", "g" + hex[1:], "sha256:", "md5:" + hex, hex[:40], "sha1:" + hex} {
		_, err := ParseSHA256(typed)
		var re *RequestError
		if !errors.As(err, &re) || re.Kind != InvalidDigest {
			t.Errorf("ParseSHA256(%q): got %v, want an InvalidDigest RequestError", typed, err)
		}
	}
}
