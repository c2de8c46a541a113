package hf

import (
	"fmt"
	"net/http"
	"strings"
)

// ErrNotHub says a name is not a Hub name at all, so the caller can try it
// as a plain URL or a catalog id.
var ErrNotHub error = notHub{}

type notHub struct{}

func (notHub) Error() string { return "not a hugging face hub name" }

// Sentence is ErrNotHub for a person.
func (notHub) Sentence() string {
	return "This is not a Hugging Face name. Use hf.co/ORG/REPO, hf://ORG/REPO or a huggingface.co address."
}

// Kind is what went wrong with the Hub, decided by the Hub's X-Error-Code
// header rather than by the status (a missing repo is 401 without a token
// and 404 with one).
type Kind int

// The kinds of Hub errors.
const (
	KindBadName          Kind = iota + 1 // a Hub name that cannot be read
	KindRepoNotFound                     // X-Error-Code RepoNotFound (also private repos)
	KindRevisionNotFound                 // X-Error-Code RevisionNotFound
	KindFileNotFound                     // X-Error-Code EntryNotFound, or a path the listing lacks
	KindQuantNotFound                    // no GGUF file of the asked quantization
	KindNoMatch                          // include/exclude left no file
	KindGatedLogin                       // 401 GatedRepo: log in first
	KindGatedAccess                      // 403 GatedRepo: ask for access on the repo's page
	KindTokenRefused                     // 401 to a request that carried a token
	KindOffline                          // the Hub could not be reached
	KindOfflineMode                      // HF_HUB_OFFLINE is set: the Hub is not asked
	KindStatus                           // any other answer that is not a success
	KindBadAnswer                        // an answer that is not what the Hub sends
)

// Error is a Hub failure with what is needed to word it for a person.
type Error struct {
	Kind      Kind
	Repo      string   // ORG/REPO
	Type      RepoType // model or dataset
	Revision  string
	Path      string // the file or folder in the repo, or the name that could not be read
	Quant     string // the quantization asked for
	Page      string // the repo's page on the Hub
	Status    int
	Code      string   // X-Error-Code
	Message   string   // X-Error-Message, or why a name is bad
	TokenFrom string   // where the refused token came from
	Quants    []string // the quantizations the repo does have
	Err       error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("hub %s: kind %d", e.Repo, e.Kind)
	if e.Repo == "" {
		s = fmt.Sprintf("hub name %q: kind %d", e.Path, e.Kind)
	}
	if e.Status != 0 {
		s += fmt.Sprintf(", status %d", e.Status)
	}
	if e.Code != "" {
		s += ", " + e.Code
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Sentence words e for a person: what happened and what to do. It never
// shows Go's error text or a token; words.Sentence finds it through
// its Sayer interface.
func (e *Error) Sentence() string {
	if s := e.missingSentence(); s != "" {
		return s
	}
	repo := e.Repo
	switch e.Kind {
	case KindBadName:
		return fmt.Sprintf("The name %q is not a Hugging Face name ModelFetch can read: %s.", e.Path, e.Message)
	case KindGatedLogin:
		return fmt.Sprintf("The repo %s is gated: log in with a Hugging Face token (Settings, or hf auth login in a terminal), after accepting its conditions at %s.", repo, e.Page)
	case KindGatedAccess:
		return fmt.Sprintf("The repo %s is gated and this account has no access yet: request access at %s.", repo, e.Page)
	case KindTokenRefused:
		return fmt.Sprintf("The Hub refused the Hugging Face token from %s: it is invalid or expired. Replace it, or remove it to download public models.", e.TokenFrom)
	case KindOffline:
		return "The Hugging Face Hub cannot be reached. Check the network; ModelFetch will work again once it is back."
	case KindOfflineMode:
		if repo == "" {
			return "HF_HUB_OFFLINE is set, so ModelFetch does not search the Hugging Face Hub. Unset it to search and download."
		}
		return fmt.Sprintf("HF_HUB_OFFLINE is set, so ModelFetch does not ask the Hugging Face Hub about %s. Unset it to download what the Hub cache does not hold yet.", repo)
	case KindBadAnswer:
		return fmt.Sprintf("The Hub sent an answer about %s that ModelFetch cannot read. Try again later.", repo)
	}
	return fmt.Sprintf("The Hub answered %d %s about %s.", e.Status, http.StatusText(e.Status), repo)
}

// missingSentence words what the Hub does not have: a repo, revision,
// file, quantization or matching file; "" for the other kinds.
func (e *Error) missingSentence() string {
	repo := e.Repo
	switch e.Kind {
	case KindRepoNotFound:
		if e.TokenFrom == "" {
			return fmt.Sprintf("The repo %s was not found on the Hub. If it is private, log in with a token that can read it.", repo)
		}
		return fmt.Sprintf("The repo %s was not found on the Hub, or the token from %s cannot read it.", repo, e.TokenFrom)
	case KindRevisionNotFound:
		return fmt.Sprintf("The repo %s has no branch, tag or commit named %q.", repo, e.Revision)
	case KindFileNotFound:
		return fmt.Sprintf("The repo %s has no file or folder %q at this revision.", repo, e.Path)
	case KindQuantNotFound:
		if len(e.Quants) == 0 {
			return fmt.Sprintf("The repo %s has no GGUF files, so there is no %s to pick.", repo, e.Quant)
		}
		return fmt.Sprintf("The repo %s has no %s file. It has: %s.", repo, e.Quant, strings.Join(e.Quants, ", "))
	case KindNoMatch:
		return fmt.Sprintf("No file of %s matches the include and exclude patterns.", repo)
	}
	return ""
}
