package hf

import (
	"cmp"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
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
	KindUnsafeListing                    // a listed path, digest or size not to use: the listing is refused whole
	KindLimit                            // an answer past one of the client's bounds (Bound)
)

// Bound is which of a Client's bounds an answer passed (KindLimit).
type Bound int

// The bounds of a Client: Limits, and Config.Timeout.
const (
	BoundPages   Bound = iota + 1 // pages of one listing (Limits.Pages)
	BoundEntries                  // files and folders of one listing (Limits.Entries)
	BoundBytes                    // bytes of one answer (Limits.Bytes)
	BoundTime                     // time of one answer (Config.Timeout) or one call (Limits.Time)
)

// Error is a Hub failure with what is needed to word it for a person.
type Error struct {
	Kind     Kind
	Repo     string   // ORG/REPO
	Type     RepoType // model or dataset
	Revision string
	// Path is the file or folder in the repo, the name that could not be
	// read, or the path a refused listing named (KindUnsafeListing).
	Path   string
	Quant  string // the quantization asked for
	Page   string // the repo's page on the Hub
	Status int
	Code   string // X-Error-Code
	// Message is X-Error-Message; or, in words that follow "which" or
	// ":" in a sentence, why a name is bad (KindBadName), an answer is
	// not the Hub's (KindBadAnswer) or a listing is refused
	// (KindUnsafeListing).
	Message   string
	TokenFrom string   // where the refused token came from
	Quants    []string // the quantizations the repo does have
	// Bound is the bound an answer passed (KindLimit), and Max its
	// value: pages, entries, bytes, or for BoundTime a time.Duration.
	Bound Bound
	Max   int64
	// Endpoint is the host of the Hub endpoint (HF_ENDPOINT) when it is
	// not huggingface.co, for sentences about answers it should not send.
	Endpoint string
	Err      error
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
	if s := e.answerSentence(); s != "" {
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
	}
	s := fmt.Sprintf("The Hub answered %d %s about %s.", e.Status, http.StatusText(e.Status), e.subject())
	if e.Status >= 500 || e.Status == http.StatusTooManyRequests {
		s += " Try again later."
	}
	return s
}

// answerSentence words an answer that is broken, hostile or past a bound;
// "" for the other kinds. Only slowness is worth trying again: an answer
// that is not the Hub's will not become one.
func (e *Error) answerSentence() string {
	switch e.Kind {
	case KindBadAnswer:
		why := cmp.Or(e.Message, "it is not what the Hugging Face Hub sends")
		return fmt.Sprintf("The Hub's answer about %s cannot be used: %s. %s", e.subject(), why, e.source())
	case KindUnsafeListing:
		if e.Repo == "" {
			return fmt.Sprintf("The Hub's search results name %s, which %s, so ModelFetch refused them all. %s", shown(e.Path), e.Message, e.source())
		}
		return fmt.Sprintf("The Hub's listing of %s names %s, which %s, so ModelFetch refused the whole listing. %s", e.Repo, shown(e.Path), e.Message, e.source())
	case KindLimit:
		return e.limitSentence()
	}
	return ""
}

// limitSentence words an answer past one of the client's bounds.
func (e *Error) limitSentence() string {
	switch e.Bound {
	case BoundPages:
		return fmt.Sprintf("The Hub's listing of %s went on past %s pages, more than any repo needs, so ModelFetch stopped reading it. %s", e.Repo, digits(e.Max), e.source())
	case BoundEntries:
		return fmt.Sprintf("The repo %s lists more than %s files and folders, more than ModelFetch plans at once. To download part of it, name one of its folders: hf://%s%s/FOLDER.", e.Repo, digits(e.Max), e.Type.urlPrefix(), e.Repo)
	case BoundBytes:
		return fmt.Sprintf("The Hub's answer about %s is larger than %s, more than the Hub sends, so ModelFetch stopped reading it. %s", e.subject(), sizeText(e.Max), e.source())
	}
	return fmt.Sprintf("The Hub did not finish answering about %s within %s, so ModelFetch stopped waiting. Try again later.", e.subject(), durationText(time.Duration(e.Max)))
}

// subject is what the request was about: the repo, or the search.
func (e *Error) subject() string {
	if e.Repo == "" {
		return "the search"
	}
	return e.Repo
}

// source says where an answer the Hub does not send may come from.
func (e *Error) source() string {
	if e.Endpoint != "" {
		return fmt.Sprintf("Check HF_ENDPOINT (%s): it may not be the Hugging Face Hub, or a mirror of it that is broken or compromised.", e.Endpoint)
	}
	return "A proxy or filter between this computer and the Hub may be changing its answers."
}

// shown is a listed name as a sentence may show it: quoted, with every
// character that does not print escaped, and cut short when long.
func shown(s string) string {
	const most = 80
	if r := []rune(s); len(r) > most {
		return strconv.Quote(string(r[:most])) + "…"
	}
	return strconv.Quote(s)
}

// digits is n with its thousands apart: 10,000.
func digits(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// sizeText is a bound in bytes for a sentence: 64 MiB, 256 KiB, 1,000 bytes.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return digits(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return digits(n>>10) + " KiB"
	}
	return digits(n) + " bytes"
}

// durationText is a time bound for a sentence: 10 minutes, 30 seconds.
func durationText(d time.Duration) string {
	switch {
	case d >= 2*time.Minute && d%time.Minute == 0:
		return digits(int64(d/time.Minute)) + " minutes"
	case d >= time.Second:
		return digits(int64(d.Round(time.Second)/time.Second)) + " seconds"
	}
	return digits(d.Milliseconds()) + " milliseconds"
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
