package main

import (
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// pkg is one package as its source declares it: every file of its folder
// whatever its build tags, so that a name declared only for one system
// counts, and no test file.
type pkg struct {
	dir  string // the folder, relative to the tree's root, with slashes
	name string
	doc  *doc.Package
}

// parseDir parses the Go files of dir that keep reports true for, by
// package name.
func parseDir(fset *token.FileSet, dir string, keep func(name string) bool) (map[string][]*ast.File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	files := map[string][]*ast.File{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || !keep(e.Name()) {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		files[f.Name.Name] = append(files[f.Name.Name], f)
	}
	return files, nil
}

func notTest(name string) bool { return !strings.HasSuffix(name, "_test.go") }

// loadPackage reads the package in dir (root/rel); nil when dir has no
// Go files but tests. A folder of one package, as go requires.
func loadPackage(root, rel string) (*pkg, error) {
	fset := token.NewFileSet()
	byName, err := parseDir(fset, filepath.Join(root, filepath.FromSlash(rel)), notTest)
	if err != nil || len(byName) == 0 {
		return nil, err
	}
	if len(byName) > 1 {
		return nil, fmt.Errorf("%s holds more than one package", rel)
	}
	for name, files := range byName {
		d, err := doc.NewFromFiles(fset, files, rel)
		if err != nil {
			return nil, fmt.Errorf("read the documentation of %s: %w", rel, err)
		}
		return &pkg{dir: rel, name: name, doc: d}, nil
	}
	return nil, nil
}

// skipped are folders with no package of the module in them: go's own
// (testdata), npm's, and what make builds at the root (bin holds a wine
// prefix after make test-windows).
var skipped = []string{"testdata", "node_modules", "bin", "dist"}

// loadTree reads every package under root, leaving out the folders go
// leaves out (names starting with "." or "_") and the skipped ones.
func loadTree(root string) ([]*pkg, error) {
	var pkgs []*pkg
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		name := d.Name()
		if path != root && (slices.Contains(skipped, name) || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		p, err := loadPackage(root, filepath.ToSlash(rel))
		if p != nil {
			pkgs = append(pkgs, p)
		}
		return err
	})
	return pkgs, err
}

// topLevel is the exported top-level names of p: constants, variables,
// types and functions (constructors included), not methods.
func (p *pkg) topLevel() []string {
	var names []string
	values := func(vs []*doc.Value) {
		for _, v := range vs {
			names = append(names, v.Names...)
		}
	}
	funcs := func(fs []*doc.Func) {
		for _, f := range fs {
			names = append(names, f.Name)
		}
	}
	values(p.doc.Consts)
	values(p.doc.Vars)
	funcs(p.doc.Funcs)
	for _, t := range p.doc.Types {
		names = append(names, t.Name)
		values(t.Consts)
		values(t.Vars)
		funcs(t.Funcs)
	}
	slices.Sort(names)
	return slices.Compact(names) // a name declared once per system counts once
}

// typ is the exported type name of p, or nil.
func (p *pkg) typ(name string) *doc.Type {
	for _, t := range p.doc.Types {
		if t.Name == name {
			return t
		}
	}
	return nil
}
