// Package apps makes one verified model file available to the apps people
// run models in (Ollama, LM Studio, Jan, GPT4All) without a second
// download and, where the file system allows, without a second copy: each
// app's store gets a hard link to the file the engine verified, laid out
// as that app's own download would lay it out. A copy is made only when
// the store is on another file system or refuses links, and a Plan says so,
// with its size, before anything is written. A file or manifest already
// there with other content is reported, never overwritten; Unshare removes
// only what Share made.
//
// The package knows nothing of the engine: it is given the verified file's
// path, SHA-256 and size, and the Hub name's parts. It imports only the
// standard library.
package apps

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Model is one verified file and the Hub name it came from.
type Model struct {
	Path   string // the verified file on disk
	SHA256 string // lower-case hex, as the engine verified it
	Size   int64
	Org    string // the Hub name's parts: hf.co/Org/Repo:Quant
	Repo   string
	Quant  string // the quantization asked for, "" when none was named
	File   string // the file's name in the repo (its base name is used)
}

var sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// check refuses a Model whose file is not the one that was verified: a
// digest that is not a SHA-256, or a file whose size changed since.
func (m Model) check() error {
	if !sha256Pattern.MatchString(m.SHA256) {
		return fmt.Errorf("%w: %q is not a lower-case sha256", ErrNotVerified, m.SHA256)
	}
	if m.Org == "" || m.Repo == "" || m.File == "" || strings.ContainsAny(m.Org+m.Repo, `/\`) {
		return fmt.Errorf("%w: org %q, repo %q, file %q", ErrBadName, m.Org, m.Repo, m.File)
	}
	return checkSource(m)
}

// Means is how a file is made available.
type Means int

// The means, cheapest first. Present costs nothing: the same file (or, for
// a store that names files by their digest, a file of that name and size)
// is already there.
const (
	Present Means = iota
	Link          // a hard link to the verified file: no bytes copied
	Write         // a small file the app needs beside the model (manifest, config)
	Copy          // a full copy: the store is on another file system or refuses links
)

func (m Means) String() string {
	return [...]string{"present", "hard link", "write", "copy"}[m]
}

// Step is one file a Plan makes.
type Step struct {
	Path  string
	Means Means
	Size  int64  // the bytes a Copy or Write puts on disk
	data  []byte // what a Write puts there
}

// Plan is what Share will do for one app, made before anything is written
// so that a person can be told what a copy costs.
type Plan struct {
	App   string // the app's name, "Ollama"
	Name  string // the name the model has in that app
	Steps []Step
	model Model
}

// CopyBytes is what the plan's copies cost on disk: 0 when every model
// file is linked or already there.
func (p Plan) CopyBytes() int64 {
	var n int64
	for _, s := range p.Steps {
		if s.Means == Copy {
			n += s.Size
		}
	}
	return n
}

// Means is the costliest means the plan uses for the model file itself.
func (p Plan) Means() Means {
	worst := Present
	for _, s := range p.Steps {
		if s.Means != Write && s.Means > worst {
			worst = s.Means
		}
	}
	return worst
}

// Errors a Plan, Share or Unshare returns, for errors.Is.
var (
	// ErrTaken: a file is already at a path the app would use, with other
	// content; it is left as it is.
	ErrTaken = errors.New("another file is already there")
	// ErrNotVerified: the file is not the one the engine verified (its
	// size changed, or no SHA-256 was given).
	ErrNotVerified = errors.New("not the verified file")
	// ErrBadName: the Hub name's parts make no name in the app.
	ErrBadName = errors.New("no name in the app for this model")
	// ErrNotFound: the app's folder is not on this machine.
	ErrNotFound = errors.New("app not found")
)

// TakenError names the path that is taken.
type TakenError struct{ Path string }

func (e *TakenError) Error() string { return e.Path + ": " + ErrTaken.Error() }

// Unwrap makes errors.Is(err, ErrTaken) hold.
func (e *TakenError) Unwrap() error { return ErrTaken }

// App is one app's model store.
type App interface {
	// Name is the app's name for people.
	Name() string
	// Dir is the folder of its store.
	Dir() string
	// Plan says what Share would do for m, writing nothing.
	Plan(m Model) (Plan, error)
	// Unshare removes what Share made for m and nothing else; it returns
	// the paths it removed.
	Unshare(m Model) ([]string, error)
}

// Share carries out a plan made by an App's Plan: each step is made under
// a temporary name and linked into place, which fails rather than
// replaces when something appeared there since the plan was made.
func Share(p Plan) error {
	if err := checkSource(p.model); err != nil {
		return err
	}
	for _, s := range p.Steps {
		if err := s.apply(p.model.Path); err != nil {
			return err
		}
	}
	return nil
}

// Find returns the apps whose store folder exists on this machine, in a
// fixed order.
func Find(e Env) []App {
	var found []App
	for _, find := range []func(Env) (App, bool){findOllama, findLMStudio, findJan, findGPT4All} {
		if a, ok := find(e); ok {
			found = append(found, a)
		}
	}
	return found
}
