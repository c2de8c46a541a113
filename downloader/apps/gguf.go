package apps

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
)

// ggufInfo is what Ollama's own import of a GGUF reads from it for the
// model's config (server/create.go): the architecture and the parameter
// count, the sum of every tensor's elements.
type ggufInfo struct {
	Architecture string
	Parameters   uint64
}

// The GGUF value types (ggml's gguf.h).
const (
	ggufUint8 uint32 = iota
	ggufInt8
	ggufUint16
	ggufInt16
	ggufUint32
	ggufInt32
	ggufFloat32
	ggufBool
	ggufString
	ggufArray
	ggufUint64
	ggufInt64
	ggufFloat64
)

// ggufSizes is the size of each fixed-size value type.
var ggufSizes = map[uint32]int{ggufUint8: 1, ggufInt8: 1, ggufUint16: 2, ggufInt16: 2, ggufUint32: 4,
	ggufInt32: 4, ggufFloat32: 4, ggufBool: 1, ggufUint64: 8, ggufInt64: 8, ggufFloat64: 8}

// Limits that keep a damaged header from making the reader allocate or
// loop without end; real models are far below them.
const (
	ggufMaxString = 1 << 26
	ggufMaxCount  = 1 << 32
	ggufMaxDims   = 8
)

var errGGUF = errors.New("not a gguf file this reader knows")

// readGGUF reads the header of a GGUF file (version 2 or 3, little-endian),
// skipping the values it does not need, up to the end of the tensor infos.
func readGGUF(path string) (ggufInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return ggufInfo{}, fmt.Errorf("read gguf: %w", err)
	}
	defer func() { _ = f.Close() }()
	r := &ggufReader{r: bufio.NewReaderSize(f, 64<<10)}
	info, err := r.header()
	if err != nil {
		return ggufInfo{}, fmt.Errorf("read gguf %s: %w", path, err)
	}
	return info, nil
}

type ggufReader struct {
	r   *bufio.Reader
	err error
}

func (g *ggufReader) u32() uint32 { return uint32(g.uint(4)) }
func (g *ggufReader) u64() uint64 { return g.uint(8) }

func (g *ggufReader) uint(n int) uint64 {
	var b [8]byte
	if g.err == nil {
		_, g.err = io.ReadFull(g.r, b[:n])
	}
	return binary.LittleEndian.Uint64(b[:])
}

func (g *ggufReader) str() string {
	n := g.u64()
	if g.err != nil || n > ggufMaxString {
		g.fail()
		return ""
	}
	b := make([]byte, n)
	_, g.err = io.ReadFull(g.r, b)
	return string(b)
}

func (g *ggufReader) skip(n uint64) {
	if g.err == nil {
		_, g.err = g.r.Discard(int(n))
	}
}

func (g *ggufReader) fail() {
	if g.err == nil {
		g.err = errGGUF
	}
}

func (g *ggufReader) header() (ggufInfo, error) {
	if g.u32() != 0x46554747 { // "GGUF"
		g.fail()
	}
	if v := g.u32(); v != 2 && v != 3 {
		g.fail()
	}
	tensors, kvs := g.u64(), g.u64()
	if tensors > ggufMaxCount || kvs > ggufMaxCount {
		g.fail()
	}
	var info ggufInfo
	for i := uint64(0); i < kvs && g.err == nil; i++ {
		key, typ := g.str(), g.u32()
		if key == "general.architecture" && typ == ggufString {
			info.Architecture = g.str()
			continue
		}
		g.skipValue(typ)
	}
	for i := uint64(0); i < tensors && g.err == nil; i++ {
		info.Parameters += g.tensorElements()
	}
	return info, g.err
}

func (g *ggufReader) skipValue(typ uint32) {
	switch typ {
	case ggufString:
		g.skip(g.u64())
	case ggufArray:
		elem, n := g.u32(), g.u64()
		if n > ggufMaxCount || elem == ggufArray {
			g.fail()
			return
		}
		if size, ok := ggufSizes[elem]; ok {
			g.skip(n * uint64(size))
			return
		}
		for i := uint64(0); i < n && g.err == nil; i++ {
			g.skipValue(elem)
		}
	default:
		size, ok := ggufSizes[typ]
		if !ok {
			g.fail()
			return
		}
		g.skip(uint64(size))
	}
}

// tensorElements reads one tensor info and returns its element count.
func (g *ggufReader) tensorElements() uint64 {
	g.str() // name
	dims := g.u32()
	if dims > ggufMaxDims {
		g.fail()
		return 0
	}
	n := uint64(1)
	for range dims {
		d := g.u64()
		if d != 0 && n > math.MaxUint64/d {
			g.fail()
			return 0
		}
		n *= d
	}
	g.u32() // type
	g.u64() // offset
	return n
}

// humanNumber is Ollama's format.HumanNumber, which its import uses for
// the config's model_type ("1.2B", "135.00M").
func humanNumber(b uint64) string {
	const thousand, million, billion = 1e3, 1e6, 1e9
	switch {
	case b >= billion:
		return trimWhole(float64(b)/billion, 1) + "B"
	case b >= million:
		return trimWhole(float64(b)/million, 2) + "M"
	case b >= thousand:
		return strconv.FormatFloat(float64(b)/thousand, 'f', 0, 64) + "K"
	}
	return strconv.FormatUint(b, 10)
}

// trimWhole writes x with no decimals when it is whole, else with prec.
func trimWhole(x float64, prec int) string {
	if x == math.Floor(x) {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'f', prec, 64)
}
