// Command layers checks, for make test, what issue 16 made of the tree's
// structure, so that it stays made:
//
//   - the engine's package, downloader, exports at most maxExported
//     top-level names (constants, variables, types and functions; methods
//     are not counted), and the count is printed;
//   - the window (ui) and the command line (ui/cli) never import each
//     other, on any system;
//   - no package under downloader/internal/transfer imports downloader:
//     a transfer is given what it needs and never reaches back into the
//     Manager;
//   - nothing under downloader/ imports Fyne or the window;
//   - downloader has a package comment and at least one Example that go
//     test runs (one with an Output comment).
//
// It is run from the module's root as `go run ./downloader/internal/layers`.
// Its test checks the documents: every link in README.md, CONTRIBUTING.md
// and docs/ leads to a file (and heading) that exists, and every Go name
// and make target they mention exists.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/doc"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

const module = "github.com/modelfetch/modelfetch"

// maxExported is issue 16's bound on the engine package's public face
// (104 names before the split).
const maxExported = 60

// systems are those whose import graphs are checked: an import may hide
// in a file of one system.
var systems = []string{"linux", "windows", "darwin"}

func main() {
	goCmd := flag.String("go", "go", "the go command")
	flag.Parse()
	top, err := root(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "layers:", err)
		os.Exit(2)
	}
	engine, err := loadPackage(top, "downloader")
	if err != nil || engine == nil {
		fmt.Fprintf(os.Stderr, "layers: read package downloader: %v\n", err)
		os.Exit(2)
	}
	n := len(engine.topLevel())
	fmt.Printf("layers: package downloader exports %d top-level names (at most %d)\n", n, maxExported)
	var broken []string
	if n > maxExported {
		broken = append(broken, fmt.Sprintf("package downloader exports %d top-level names, more than %d: move what clients do not need under internal/ or into a package of its own", n, maxExported))
	}
	for _, goos := range systems {
		deps, err := listDeps(*goCmd, top, goos)
		if err != nil {
			broken = append(broken, err.Error())
			continue
		}
		broken = append(broken, checkImports(goos, deps)...)
	}
	broken = append(broken, checkIntroduction(top, engine)...)
	for _, b := range broken {
		fmt.Fprintln(os.Stderr, "layers:", b)
	}
	if len(broken) > 0 {
		os.Exit(1)
	}
	fmt.Printf("layers: the imports go one way on %s; downloader has its introduction and a runnable Example\n", strings.Join(systems, ", "))
}

// listDeps is, for goos, every package of the module with all the
// packages it imports, directly or not.
func listDeps(goCmd, top, goos string) (map[string][]string, error) {
	cmd := exec.Command(goCmd, "list", "-e", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", "./...")
	cmd.Dir = top
	cmd.Env = append(os.Environ(), "GOOS="+goos)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list for %s: %w: %s", goos, err, stderr.Bytes())
	}
	deps := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) > 0 {
			deps[strings.TrimPrefix(fields[0], module)] = fields[1:]
		}
	}
	return deps, nil
}

// checkImports says which import rules deps (by package, without the
// module's prefix) breaks.
func checkImports(goos string, deps map[string][]string) []string {
	var broken []string
	imports := func(from, to string) bool { return slices.Contains(deps[from], module+to) }
	if imports("/ui", "/ui/cli") {
		broken = append(broken, fmt.Sprintf("on %s, ui imports ui/cli: the window and the command line are siblings that main wires", goos))
	}
	if imports("/ui/cli", "/ui") {
		broken = append(broken, fmt.Sprintf("on %s, ui/cli imports ui: the window and the command line are siblings that main wires", goos))
	}
	for p, ds := range deps {
		if underOrAt(p, "/downloader/internal/transfer") && imports(p, "/downloader") {
			broken = append(broken, fmt.Sprintf("on %s, %s imports downloader: a transfer is given what it needs (transfer.Deps) and never reaches back", goos, p[1:]))
		}
		ui := slices.IndexFunc(ds, func(d string) bool {
			return strings.HasPrefix(d, "fyne.io/") || underOrAt(strings.TrimPrefix(d, module), "/ui")
		})
		if underOrAt(p, "/downloader") && ui >= 0 {
			broken = append(broken, fmt.Sprintf("on %s, %s imports %s: the engine and its packages never import a UI", goos, p[1:], ds[ui]))
		}
	}
	return broken
}

// underOrAt reports whether the package path p is dir or below it.
func underOrAt(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

// checkIntroduction says what the introduction of downloader (the
// package p, in top) lacks: a package comment, and an Example that go
// test runs.
func checkIntroduction(top string, p *pkg) []string {
	var broken []string
	if !strings.HasPrefix(p.doc.Doc, "Package downloader ") {
		broken = append(broken, "package downloader has no package comment starting with \"Package downloader\"")
	}
	tests, err := parseDir(token.NewFileSet(), filepath.Join(top, "downloader"), func(name string) bool { return !notTest(name) })
	if err != nil {
		return append(broken, fmt.Sprintf("read the tests of downloader: %v", err))
	}
	runs := 0
	for _, files := range tests {
		for _, ex := range doc.Examples(files...) {
			if ex.Output != "" || ex.EmptyOutput {
				runs++
			}
		}
	}
	if runs == 0 {
		broken = append(broken, "package downloader has no Example with an Output comment, so go test runs none (see downloader/example_test.go)")
	}
	return broken
}

// root is the module's root: the nearest folder above dir with a go.mod.
func root(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
	}
}
