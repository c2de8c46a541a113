// Package wordstest checks, in tests, that what a person reads is a
// sentence of the words package's kind.
package wordstest

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// goText is what Go's own error text looks like; no sentence may hold it.
var goText = []string{"dial tcp", "read tcp", "EOF", "%!", "context canceled", "deadline exceeded",
	"connection refused", "permission denied", "no such file", "mkdir ", "rename ", "<nil>", "unexpected"}

// IsSentence fails t unless s is a sentence for a person: capitalised,
// ending with a period, without Go's error text, stating want.
func IsSentence(t testing.TB, s string, want ...string) {
	t.Helper()
	if r, _ := utf8.DecodeRuneInString(s); !unicode.IsUpper(r) {
		t.Errorf("%q does not start with a capital", s)
	}
	if !strings.HasSuffix(s, ".") {
		t.Errorf("%q does not end with a period", s)
	}
	for _, g := range goText {
		if strings.Contains(s, g) {
			t.Errorf("%q holds Go's error text %q", s, g)
		}
	}
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%q does not say %q", s, w)
		}
	}
}
