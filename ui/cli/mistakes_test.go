package cli

import (
	"regexp"
	"strings"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/catalog"
	"github.com/modelfetch/modelfetch/downloader/instance"
	"github.com/modelfetch/modelfetch/downloader/words/wordstest"
)

// unknownLine is the one line for a word that names nothing.
var unknownLine = regexp.MustCompile("^unknown (command|option|app) \"[^\"]*\" \\((did you mean \"[^\"]+\"\\?|see `modelfetch ([a-z]+ )?--help`)\\)$")

// TestMistakes feeds every command mistakes a person makes and reads
// standard error: one line, "modelfetch: " and a sentence that says what
// is wrong (or the unknown-word line), never the sentence for what
// ModelFetch did not expect, nothing on standard output, and exit code 2
// for a command line that cannot be read, 1 for what the engine refused.
func TestMistakes(t *testing.T) {
	s := newSandbox(t)
	const url = "http://127.0.0.1:9/model.gguf"
	sha := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		args []string
		code int
		says string // a word the sentence must hold
	}{
		{[]string{"lst"}, 2, `"list"`},
		{[]string{"gt", "gemma-2b"}, 2, `"get"`},
		{[]string{"--bogus"}, 2, "--bogus"},
		{[]string{"help", "lst"}, 2, `"list"`},
		{[]string{"get"}, 2, "hf.co/ORG/REPO"},
		{[]string{"get", "nosuchmodel"}, 1, `"nosuchmodel"`},
		{[]string{"get", "hf.co/org"}, 1, "ORG/REPO"},
		{[]string{"get", "--sha", sha, url}, 2, `"--sha256"`},
		{[]string{"get", "--sha256", "xyz", url}, 2, `"xyz"`},
		{[]string{"get", "--sha256", "md5:" + sha, url}, 2, "64 hexadecimal"},
		{[]string{"get", url, "--sha256"}, 2, "--sha256 HEX"},
		{[]string{"get", "ftp://127.0.0.1/model.gguf"}, 2, "http and https"},
		{[]string{"get", "http://"}, 2, "no host"},
		{[]string{"get", "--connections", "-1", url}, 2, "64"},
		{[]string{"get", "--connections", "100000", url}, 2, "100000"},
		{[]string{"get", "--connections", "many", url}, 2, `"many"`},
		{[]string{"get", "--limit-rate", "fast", url}, 2, `"fast"`},
		{[]string{"get", "--total", "-5", url}, 2, `"-5"`},
		{[]string{"get", "--total", "5XB", url}, 2, `"5XB"`},
		{[]string{"get", "--id", "../x", url}, 2, "128"},
		{[]string{"get", "--json=yes", url}, 2, "--json alone"},
		{[]string{"get", "--for", "olama", url}, 2, `"ollama"`},
		{[]string{"get", "--sha256", sha, "hf.co/org/repo:Q4_K_M"}, 2, "one file"},
		{[]string{"get", "--include"}, 2, "--include GLOB"},
		{[]string{"get", "--sha256=", url}, 2, "--sha256 HEX"},
		{[]string{"get", "--sha256", " \t", url}, 2, "--sha256 HEX"},
		{[]string{"get", "gemma", "ollama"}, 2, "neither"},
		{[]string{"get", "--for", "ollama", url}, 2, "Hugging Face name"},
		{[]string{"get", "--for", "ollama", "hf.co/org/repo:Q4_K_M"}, 1, "Ollama"},
		{[]string{"pause"}, 2, "one download id"},
		{[]string{"pause", "a", "b"}, 2, "one download id"},
		{[]string{"resume", "--all", "a"}, 2, "--all alone"},
		{[]string{"cancel", "--all"}, 2, "--all"},
		{[]string{"cancel", "nosuch"}, 1, `"nosuch"`},
		{[]string{"pause", "nosuch"}, 1, "modelfetch list"},
		{[]string{"share"}, 2, "at least one app"},
		{[]string{"share", "x", "olama"}, 2, `"ollama"`},
		{[]string{"share", "x", "ollama"}, 1, "Ollama"},
		{[]string{"path"}, 2, "path needs"},
		{[]string{"path", "foo"}, 2, `"foo"`},
		{[]string{"path", "ftp://127.0.0.1/x"}, 2, "http and https"},
		{[]string{"list", "extra"}, 2, `"extra"`},
		{[]string{"list", "--jsno"}, 2, `"--json"`},
		{[]string{"catalog", "--json=1"}, 2, "--json alone"},
		{[]string{"serve", "now"}, 2, `"now"`},
		{[]string{"version", "--short"}, 2, "--short"},
		{[]string{"help", "get", "list"}, 2, "at most one"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			p := s.run(tc.args...)
			lines := strings.Split(strings.TrimRight(p.stderr.String(), "\n"), "\n")
			if p.code != tc.code || len(lines) != 1 || p.stdout.Len() != 0 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and one line on stderr", p.code, p.stdout.String(), p.stderr.String(), tc.code)
			}
			said, ok := strings.CutPrefix(lines[0], "modelfetch: ")
			if !ok {
				t.Fatalf("stderr %q does not start with modelfetch: ", lines[0])
			}
			// A sentence may start with the word it quotes (the ask
			// package's "x" is neither …).
			if quoted, rest, ok := strings.Cut(strings.TrimPrefix(said, `"`), `" `); ok && said[0] == '"' && !strings.Contains(quoted, " ") {
				wordstest.IsSentence(t, "It "+rest)
			} else if !unknownLine.MatchString(said) {
				wordstest.IsSentence(t, said)
			}
			if strings.Contains(said, "did not expect") || !strings.Contains(said, tc.says) {
				t.Errorf("%q: want a sentence saying %q", said, tc.says)
			}
		})
	}
}

// TestGetPasted: a SHA-256 and a URL as people paste them (a sha256:
// prefix, upper case, quotes, blanks and tabs around) are read as meant.
func TestGetPasted(t *testing.T) {
	s := newSandbox(t)
	o := newOrigin(t, "model.bin")
	sum := "SHA256:" + strings.ToUpper(o.sum("model.bin"))
	path := s.run("get", "--sha256", " '"+sum+"'\t", "\t\""+o.url("model.bin")+"\"  ").succeeded(t)
	checkFile(t, o, "model.bin", path)
}

// TestForWindow: the window starts only for what it opens; a mistyped
// command or option is the command line's, which answers it.
func TestForWindow(t *testing.T) {
	env := instance.Env{Catalog: []catalog.Model{{ID: "gemma-2b"}}}
	for _, tc := range []struct {
		args   []string
		window bool
	}{
		{nil, true},
		{[]string{"--hidden"}, true},
		{[]string{"gemma-2b"}, true},
		{[]string{"--hidden", "https://host/a.gguf"}, true},
		{[]string{"hf.co/org/repo:Q4_K_M"}, true},
		{[]string{"org/repo"}, true},
		{[]string{"lst"}, false},
		{[]string{"gt", "gemma-2b"}, false},
		{[]string{"gemma-2b", "lst"}, false},
		{[]string{"--bogus"}, false},
		{[]string{"get", "gemma-2b"}, false},
		{[]string{"--help"}, false},
		{[]string{"--version"}, false},
	} {
		if got := ForWindow(tc.args, env); got != tc.window {
			t.Errorf("ForWindow(%q) = %v, want %v", tc.args, got, tc.window)
		}
	}
}

// TestNearest: the suggestion for a typo or a prefix.
func TestNearest(t *testing.T) {
	names := []string{"--help", "--id", "--sha256", "--connections", "--limit-rate", "--json", "--include", "--exclude"}
	for word, want := range map[string]string{
		"--sha": "--sha256", "--connection": "--connections", "--limit": "--limit-rate", "--jsno": "--json",
		"--inclued": "--include", "--xyz": "", "--i": "--id",
	} {
		if got := nearest(word, names); got != want {
			t.Errorf("nearest(%q) = %q, want %q", word, got, want)
		}
	}
}
