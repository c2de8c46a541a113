package fetch

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSanitizeNameWindows: names Windows refuses become names it takes,
// on every system, and ordinary names are left alone.
func TestSanitizeNameWindows(t *testing.T) {
	for in, want := range map[string]string{
		"Llama-3.2-1B-Q4_K_M.gguf": "Llama-3.2-1B-Q4_K_M.gguf",
		"what?.gguf":               "what_.gguf",
		`a<b>c:d"e|f*g.bin`:        "a_b_c_d_e_f_g.bin",
		"trailing.":                "trailing",
		"trailing. . ":             "trailing",
		"CON":                      "_CON",
		"nul.txt":                  "_nul.txt",
		"Con .gguf":                "_Con .gguf",
		"com1.gguf":                "_com1.gguf",
		"LPT9":                     "_LPT9",
		"COM¹.bin":                 "_COM¹.bin",
		"conin$":                   "_conin$",
		"console.gguf":             "console.gguf",
		"com10.gguf":               "com10.gguf",
		"nullable.bin":             "nullable.bin",
		"aux-model.gguf":           "aux-model.gguf",
	} {
		if got := SanitizeName(in); got != want {
			t.Errorf("SanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSanitizedNamesCreate: every sanitised name can be created as a file
// here and read back under that name (on Windows, where the rule is the
// system's own).
func TestSanitizedNamesCreate(t *testing.T) {
	dir := t.TempDir()
	for _, in := range []string{"CON", "nul.txt", "a:b", "what?", "trailing. ", `x"y`, "COM1.gguf", "<>|*"} {
		name := SanitizeName(in)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(in), 0o644); err != nil {
			t.Errorf("create %q (from %q): %v", name, in, err)
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range entries {
			found = found || e.Name() == name
		}
		if !found {
			t.Errorf("%q (from %q) is not listed under its name", name, in)
		}
	}
}
