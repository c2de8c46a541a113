package fetch

import (
	"errors"
	"strings"
	"testing"
)

// TestParseSHA256: a digest as people paste it is read; what is not 64
// hexadecimal digits is an InvalidDigest holding what was given.
func TestParseSHA256(t *testing.T) {
	const want = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	upper := strings.ToUpper(want)
	for _, in := range []string{
		want, upper, "sha256:" + want, "SHA256:" + upper, "sha256-" + want,
		"  " + want + "\t\n", `"` + want + `"`, "'sha256:" + want + "'", "`" + want + "`",
		want[:32] + " " + want[32:], "sha256: " + want, "\"  " + want + " \"",
	} {
		got, err := ParseSHA256(in)
		if err != nil || got != want {
			t.Errorf("ParseSHA256(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"", "abc", want[:63], want + "0", "md5:" + want, "sha256:", "sha512:" + want,
		"g" + want[1:], `"` + want, want + "  model.gguf", "sha256" + want,
	} {
		got, err := ParseSHA256(in)
		var re *RequestError
		if !errors.As(err, &re) || re.Kind != InvalidDigest || re.Request.SHA256 != in {
			t.Errorf("ParseSHA256(%q) = %q, %v; want an InvalidDigest holding the input", in, got, err)
		}
	}
}

func TestPasted(t *testing.T) {
	for in, want := range map[string]string{
		"  https://host/a.gguf\t": "https://host/a.gguf",
		`"https://host/a.gguf"`:   "https://host/a.gguf",
		"'x y'":                   "x y",
		`"unbalanced`:             `"unbalanced`,
		`""`:                      "",
		"plain":                   "plain",
	} {
		if got := Pasted(in); got != want {
			t.Errorf("Pasted(%q) = %q, want %q", in, got, want)
		}
	}
}
