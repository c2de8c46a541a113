package main

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// maxReadme is issue 16's bound on the README: a page for the person who
// installs and runs ModelFetch; the rest is in docs/.
const maxReadme = 150

// TestDocs checks the documents against the tree: every relative link of
// README.md, CONTRIBUTING.md and docs/*.md leads to a file (and, for a
// Markdown file, to one of its headings), every Go name they quote in
// backticks as pkg.Name, pkg.Type.Member or Type.Member exists, and every
// `make TARGET` is a target of the Makefile.
func TestDocs(t *testing.T) {
	top, err := root(".")
	if err != nil {
		t.Fatal(err)
	}
	c := newChecker(t, top)
	files, err := filepath.Glob(filepath.Join(top, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{filepath.Join(top, "README.md"), filepath.Join(top, "CONTRIBUTING.md")}, files...)
	if len(files) < 3 {
		t.Fatalf("got %d documents, want README.md, CONTRIBUTING.md and docs/*.md", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(top, f)
		for _, p := range c.check(f, data) {
			t.Errorf("%s: %s", filepath.ToSlash(rel), p)
		}
		if n := bytes.Count(data, []byte("\n")); rel == "README.md" && n > maxReadme {
			t.Errorf("README.md has %d lines, want at most %d: move details to docs/", n, maxReadme)
		}
	}
	if len(c.unknown) > 0 {
		t.Logf("not checked (not a package of this module or of the standard library): %s", strings.Join(slices.Sorted(maps.Keys(c.unknown)), ", "))
	}
}

// TestDocsCatch: each kind of mistake the documents can make is found.
func TestDocsCatch(t *testing.T) {
	top, err := root(".")
	if err != nil {
		t.Fatal(err)
	}
	c := newChecker(t, top)
	doc := filepath.Join(top, "docs", "sample.md")
	for _, tc := range []struct {
		name, text string
		problems   int
	}{
		{"fine", "# Title\n\nSee [the README](../README.md), [this](#title), `downloader.Manager`,\n" +
			"`fetch.Request.Validate`, `Manager.Ensure`, `ask.Ask.Dir`, `errors.Is`, `make test`, `t.Context()`.\n" +
			"```sh\nmake chaos CHAOSFLAGS=\"-seed 7\"\n```\n", 0},
		{"missing file", "[x](../NOPE.md)\n", 1},
		{"missing heading", "[x](../README.md#no-such-heading-here)\n", 1},
		{"missing name", "`instance.Join`\n", 1},
		{"missing method", "`Manager.FinishWhenDone` and `hf.Cache.NoSuchMethod`\n", 2},
		{"missing std name", "`http.NoSuchThing`\n", 1},
		{"missing target", "`make nosuchtarget`\n", 1},
		{"missing target in a block", "```\nsudo make nosuchtarget PREFIX=/x\n```\n", 1},
		{"code is not a link", "`[x](../NOPE.md)`\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.check(doc, []byte(tc.text)); len(got) != tc.problems {
				t.Errorf("got %d problems %q, want %d", len(got), got, tc.problems)
			}
		})
	}
}

// checker knows the tree's packages and make targets.
type checker struct {
	top     string
	ours    map[string][]*pkg // by package name
	std     map[string][]*pkg // by package name, read when first asked
	goroot  string
	targets map[string]bool
	unknown map[string]bool // qualifiers that are no package we know
}

func newChecker(t *testing.T, top string) *checker {
	t.Helper()
	pkgs, err := loadTree(top)
	if err != nil {
		t.Fatal(err)
	}
	c := &checker{top: top, ours: map[string][]*pkg{}, std: map[string][]*pkg{}, goroot: build.Default.GOROOT, unknown: map[string]bool{}}
	for _, p := range pkgs {
		c.ours[p.name] = append(c.ours[p.name], p)
	}
	if c.targets, err = makeTargets(filepath.Join(top, "Makefile")); err != nil {
		t.Fatal(err)
	}
	return c
}

// makeTargets reads the names of the Makefile's rules.
func makeTargets(path string) (map[string]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rule := regexp.MustCompile(`^([A-Za-z0-9_.-][A-Za-z0-9_. -]*?)\s*&?::?(?:[^=]|$)`)
	targets := map[string]bool{}
	for line := range strings.Lines(string(data)) {
		if m := rule.FindStringSubmatch(line); m != nil {
			for _, name := range strings.Fields(m[1]) {
				targets[name] = true
			}
		}
	}
	return targets, nil
}

// markdown is what the checks read of a Markdown document.
type markdown struct {
	prose    []string // lines outside code blocks, with their code spans taken out
	spans    []string // inline code spans
	blocks   []string // lines of fenced code blocks
	goBlocks []string // the lines of blocks marked go
	headings []string // GitHub's anchors of the headings
}

// readMarkdown splits a document into what the checks read.
func readMarkdown(data []byte) markdown {
	var md markdown
	fence, lang := "", ""
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case fence == "" && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")):
			fence, lang = trimmed[:3], strings.TrimSpace(trimmed[3:])
		case fence != "" && strings.HasPrefix(trimmed, fence):
			fence = ""
		case fence != "":
			md.blocks = append(md.blocks, line)
			if lang == "go" {
				md.goBlocks = append(md.goBlocks, line)
			}
		default:
			prose, spans := codeSpans(line)
			md.prose = append(md.prose, prose)
			md.spans = append(md.spans, spans...)
			if h, ok := strings.CutPrefix(strings.TrimLeft(trimmed, "#"), " "); ok && strings.HasPrefix(trimmed, "#") {
				md.headings = append(md.headings, anchor(h, seen))
			}
		}
	}
	return md
}

// codeSpans takes the inline code spans out of a line: a run of
// backticks up to the next run of the same length.
func codeSpans(line string) (string, []string) {
	var prose strings.Builder
	var spans []string
	for {
		i := strings.IndexByte(line, '`')
		if i < 0 {
			prose.WriteString(line)
			return prose.String(), spans
		}
		n := len(line[i:]) - len(strings.TrimLeft(line[i:], "`"))
		ticks := line[i : i+n]
		end := strings.Index(line[i+n:], ticks)
		if end < 0 {
			prose.WriteString(line)
			return prose.String(), spans
		}
		prose.WriteString(line[:i])
		spans = append(spans, strings.TrimSpace(line[i+n:i+n+end]))
		line = line[i+n+end+n:]
	}
}

// anchor is GitHub's anchor for a heading: lower case, only letters,
// digits, '-', '_' and spaces kept, spaces made '-', and "-1", "-2" added
// to repeats.
func anchor(heading string, seen map[string]int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	a := b.String()
	if n := seen[a]; n > 0 {
		seen[a]++
		return fmt.Sprintf("%s-%d", a, n)
	}
	seen[a] = 1
	return a
}

var (
	link       = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	definition = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*(\S+)`)
	// A Go name qualified once or twice, not inside a path or a file name.
	qualified = regexp.MustCompile(`(?:^|[^\w./-])([A-Za-z_]\w*)\.([A-Z]\w*)(?:\.([A-Z]\w*))?`)
	makeCmd   = regexp.MustCompile(`(?:^|[\s;&|(])make\s+([A-Za-z][\w.-]*)`)
)

// check returns what is wrong in the document at path.
func (c *checker) check(path string, data []byte) []string {
	md := readMarkdown(data)
	var problems []string
	for _, line := range md.prose {
		var targets []string
		for _, m := range link.FindAllStringSubmatch(line, -1) {
			targets = append(targets, m[1])
		}
		if m := definition.FindStringSubmatch(line); m != nil {
			targets = append(targets, m[1])
		}
		for _, target := range targets {
			if p := c.checkLink(path, md, target); p != "" {
				problems = append(problems, p)
			}
		}
	}
	for _, code := range slices.Concat(md.spans, md.goBlocks) {
		for _, m := range qualified.FindAllStringSubmatch(code, -1) {
			if p := c.checkName(m[1], m[2], m[3]); p != "" {
				problems = append(problems, p)
			}
		}
	}
	for _, code := range slices.Concat(md.spans, md.blocks) {
		for _, m := range makeCmd.FindAllStringSubmatch(code, -1) {
			if !c.targets[m[1]] {
				problems = append(problems, fmt.Sprintf("`make %s`: the Makefile has no target %s", m[1], m[1]))
			}
		}
	}
	return problems
}

// checkLink says what is wrong with a link of the document at path (whose
// own headings md has), or "".
func (c *checker) checkLink(path string, md markdown, target string) string {
	if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
		return "" // not checked: nothing here leaves the machine
	}
	file, frag, _ := strings.Cut(target, "#")
	headings := md.headings
	if file != "" {
		dest := filepath.Join(filepath.Dir(path), filepath.FromSlash(file))
		if _, err := os.Stat(dest); err != nil {
			return fmt.Sprintf("the link %s leads to no file", target)
		}
		if frag == "" || filepath.Ext(dest) != ".md" {
			return ""
		}
		data, err := os.ReadFile(dest)
		if err != nil {
			return fmt.Sprintf("the link %s: %v", target, err)
		}
		headings = readMarkdown(data).headings
	}
	if frag != "" && !slices.Contains(headings, frag) {
		return fmt.Sprintf("the link %s leads to no heading #%s", target, frag)
	}
	return ""
}

// checkName says what is wrong with the name q.n or q.n.m quoted in a
// document, or "". q is a package (checked when it is one of ours or of
// the standard library) or, capitalised, a type of ours.
func (c *checker) checkName(q, n, m string) string {
	name := strings.Join(slices.DeleteFunc([]string{q, n, m}, func(s string) bool { return s == "" }), ".")
	if unicode.IsUpper(rune(q[0])) {
		if m != "" || !strings.ContainsFunc(q, unicode.IsLower) {
			return "" // a constant's or file's name such as CACHEDIR.TAG, not Type.Member
		}
		types := c.typesNamed("", q)
		if len(types) == 0 || slices.ContainsFunc(types, func(t *doc.Type) bool { return c.hasMember(t, n, 0) }) {
			return ""
		}
		return fmt.Sprintf("`%s`: no type %s of this module has a method or field %s", name, q, n)
	}
	pkgs := c.packages(q)
	if len(pkgs) == 0 {
		c.unknown[q] = true
		return ""
	}
	found := slices.ContainsFunc(pkgs, func(p *pkg) bool {
		if m == "" {
			return slices.Contains(p.topLevel(), n)
		}
		t := p.typ(n)
		return t != nil && c.hasMember(t, m, 0)
	})
	if found {
		return ""
	}
	return fmt.Sprintf("`%s`: package %s (%s) has no such name", name, q, pkgs[0].dir)
}

// packages are ours named q, else the standard library's.
func (c *checker) packages(q string) []*pkg {
	if ps := c.ours[q]; len(ps) > 0 {
		return ps
	}
	if ps, ok := c.std[q]; ok {
		return ps
	}
	c.std[q] = c.stdPackages(q)
	return c.std[q]
}

// stdPackages reads the packages of the standard library named q, found
// by the last element of their folder.
func (c *checker) stdPackages(q string) []*pkg {
	var ps []*pkg
	src := filepath.Join(c.goroot, "src")
	_ = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		switch d.Name() {
		case "testdata", "internal", "vendor", "cmd":
			return filepath.SkipDir
		}
		if d.Name() != q {
			return nil
		}
		fset := token.NewFileSet()
		byName, err := parseDir(fset, path, notTest)
		if err != nil || len(byName[q]) == 0 {
			return nil
		}
		rel, _ := filepath.Rel(src, path)
		if dp, err := doc.NewFromFiles(fset, byName[q], filepath.ToSlash(rel)); err == nil {
			ps = append(ps, &pkg{dir: filepath.ToSlash(rel), name: q, doc: dp})
		}
		return nil
	})
	return ps
}

// typesNamed are our types called name, in packages called pkgName (any
// package when it is "").
func (c *checker) typesNamed(pkgName, name string) []*doc.Type {
	var types []*doc.Type
	for q, ps := range c.ours {
		if pkgName != "" && q != pkgName {
			continue
		}
		for _, p := range ps {
			if t := p.typ(name); t != nil {
				types = append(types, t)
			}
		}
	}
	return types
}

// hasMember reports whether t has the exported method or field name,
// its own or promoted from a type of ours it embeds.
func (c *checker) hasMember(t *doc.Type, name string, depth int) bool {
	if slices.ContainsFunc(t.Methods, func(f *doc.Func) bool { return f.Name == name }) {
		return true
	}
	for _, spec := range t.Decl.Specs {
		ts, ok := spec.(*ast.TypeSpec)
		if !ok || ts.Name.Name != t.Name {
			continue
		}
		var fields *ast.FieldList
		switch x := ts.Type.(type) {
		case *ast.StructType:
			fields = x.Fields
		case *ast.InterfaceType:
			fields = x.Methods
		}
		if fields != nil && c.fieldsHave(fields, name, depth) {
			return true
		}
	}
	return false
}

// fieldsHave reports whether the fields (or an interface's methods)
// name name, or embed a type of ours that has it.
func (c *checker) fieldsHave(fields *ast.FieldList, name string, depth int) bool {
	for _, f := range fields.List {
		if slices.ContainsFunc(f.Names, func(id *ast.Ident) bool { return id.Name == name }) {
			return true
		}
		if len(f.Names) > 0 || depth > 3 {
			continue
		}
		pkgName, typeName := embedded(f.Type)
		for _, et := range c.typesNamed(pkgName, typeName) {
			if c.hasMember(et, name, depth+1) {
				return true
			}
		}
	}
	return false
}

// embedded names the type of an embedded field: T, *T or pkg.T.
func embedded(e ast.Expr) (pkgName, typeName string) {
	switch x := e.(type) {
	case *ast.StarExpr:
		return embedded(x.X)
	case *ast.Ident:
		return "", x.Name
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok {
			return id.Name, x.Sel.Name
		}
	}
	return "", ""
}
