package hf

import (
	"path"
	"regexp"
	"strings"
	"sync"
)

// globRegexp turns a pattern into a regular expression the way Python's
// fnmatch does, which is how `hf download --include` matches: '*' matches
// anything, '/' included; '?' one character; [seq] and [!seq] a class.
func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			end := classEnd(pattern, i)
			if end < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := pattern[i+1 : end]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i = end
		default:
			b.WriteString(regexp.QuoteMeta(pattern[i : i+1]))
		}
	}
	b.WriteString(`$`)
	re, err := regexp.Compile(b.String())
	if err != nil { // a class such as [z-a]: fnmatch matches nothing with it
		return regexp.MustCompile(`$.^`)
	}
	return re
}

// globs are the patterns compiled so far: a listing of many files is
// matched against the same few patterns once per file.
var globs sync.Map // pattern → *regexp.Regexp

// compiled is globRegexp(pattern), compiled once.
func compiled(pattern string) *regexp.Regexp {
	if re, ok := globs.Load(pattern); ok {
		return re.(*regexp.Regexp)
	}
	re, _ := globs.LoadOrStore(pattern, globRegexp(pattern))
	return re.(*regexp.Regexp)
}

// classEnd is the index of the ']' closing the class that opens at i, or
// -1 when there is none (then '[' is an ordinary character). As in
// fnmatch, a ']' first in the class, after an optional '!', belongs to it.
func classEnd(pattern string, i int) int {
	j := i + 1
	if j < len(pattern) && pattern[j] == '!' {
		j++
	}
	if j < len(pattern) && pattern[j] == ']' {
		j++
	}
	k := strings.IndexByte(pattern[j:], ']')
	if k < 0 {
		return -1
	}
	return j + k
}

// matchAny reports whether p matches one of the patterns. As in
// huggingface_hub, a pattern ending in '/' means everything under it.
func matchAny(patterns []string, p string) bool {
	for _, pat := range patterns {
		if strings.HasSuffix(pat, "/") {
			pat += "*"
		}
		if compiled(pat).MatchString(p) {
			return true
		}
	}
	return false
}

// keep applies include and exclude as `hf download` does: with includes,
// a file must match one; a file matching an exclude is left out.
func keep(p string, include, exclude []string) bool {
	return (len(include) == 0 || matchAny(include, p)) && !matchAny(exclude, p)
}

// quantRe finds a quantization label in a GGUF file name: Q4_K_M, Q8_0,
// IQ2_XS, TQ1_0, F16, BF16, MXFP4, UD-Q4_K_XL and the like, between
// '-', '_' or '.' and the end of the name.
var quantRe = regexp.MustCompile(`(?i)(?:^|[-_.])((?:UD-)?(?:T?I?Q[1-8](?:_[A-Z0-9]+)*|BF16|F16|F32|FP16|FP32|MXFP4(?:_MOE)?))$`)

// splitRe is the part number of a split GGUF: -00001-of-00003.gguf.
var splitRe = regexp.MustCompile(`(?i)-\d{5}-of-\d{5}$`)

// QuantOf is the quantization of a GGUF file in upper case, or "" for a
// file that is not a model GGUF. The projector files of vision models
// (mmproj-…) are not a quantization of the model, as llama.cpp sees them.
func QuantOf(p string) string {
	base := path.Base(p)
	stem, ok := strings.CutSuffix(strings.ToLower(base), ".gguf")
	if !ok || strings.HasPrefix(stem, "mmproj") {
		return ""
	}
	stem = base[:len(stem)]
	stem = splitRe.ReplaceAllString(stem, "")
	m := quantRe.FindStringSubmatch(stem)
	if m == nil {
		return ""
	}
	return strings.ToUpper(m[1])
}

// matchQuant reports whether a file is of quantization q: the same label,
// or the same label without unsloth's "UD-" prefix.
func matchQuant(p, q string) bool {
	got := QuantOf(p)
	return got != "" && (got == q || strings.TrimPrefix(got, "UD-") == q)
}
