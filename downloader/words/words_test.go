package words

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/network"
	"github.com/modelfetch/modelfetch/downloader/words/wordstest"
)

// said is a domain error that words itself, as hf's and the API's do.
type said struct{}

func (said) Error() string    { return "said: dial tcp 127.0.0.1:1: connection refused" }
func (said) Sentence() string { return "The domain's own words." }

// TestSentence: every reason, sentinel and caller error is a sentence with
// the numbers a person needs and none of Go's words, and its error is
// found with errors.Is by code.
func TestSentence(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, Err: os.NewSyscallError("connect", errnoRefused)}
	notAnswering := &network.Error{Kind: network.ServerNotAnswering, Host: "127.0.0.1:1", URL: "http://127.0.0.1:1/m.bin", Err: refused}
	denied := &fs.PathError{Op: "mkdir", Path: "/srv/models", Err: errnoDenied}
	full := &fs.PathError{Op: "write", Path: "/srv/partial/0.part", Err: errnoNoSpace}
	status := func(code int) *fetch.StatusError {
		return &fetch.StatusError{Code: code, URL: "http://127.0.0.1:8080/m.bin"}
	}
	sum, other := strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	tests := []struct {
		name string
		err  error
		is   error // the sentinel code matches, if any
		want []string
	}{
		{"no space before", fetch.Failure(fetch.ReasonQuotaExceeded, 0, &fetch.SpaceError{Need: 3 << 30, Free: 1 << 30}), fetch.ErrNoSpace, []string{"3.0 GiB is needed", "1.0 GiB is free", "retry it"}},
		{"disk full while writing", fetch.Failure(fetch.ReasonQuotaExceeded, 5<<20, &fetch.SpaceError{Err: full}), fetch.ErrNoSpace, []string{"The disk is full", "5.0 MiB already downloaded are kept"}},
		{"disk full at once", fetch.Failure(fetch.ReasonQuotaExceeded, 0, &fetch.SpaceError{Err: full}), errnoNoSpace, []string{"The disk is full"}},
		{"server sent more than the total", fetch.Failure(fetch.ReasonTotalExceeded, 2<<20, &fetch.TotalError{Size: 2 << 20, Limit: 1 << 20, AtLeast: true}), fetch.ErrTotalExceeded, []string{"more than the 1.0 MiB"}},
		{"files larger than the total", fetch.Failure(fetch.ReasonTotalExceeded, 0, &fetch.TotalError{Size: 3 << 20, Limit: 1 << 20}), fetch.ErrTotalExceeded, []string{"3.0 MiB", "1.0 MiB"}},
		{"digest mismatch", fetch.Failure(fetch.ReasonIntegrity, 100, &fetch.IntegrityError{Got: sum, Want: other, Digest: "SHA-256"}), fetch.ErrIntegrity, []string{"SHA-256", sum, other}},
		{"missing bytes", fetch.Failure(fetch.ReasonFetchError, 20, &fetch.GapError{Gaps: "10-19"}), fetch.ErrMissingBytes, []string{"10-19"}},
		{"wrong length on disk", fetch.Failure(fetch.ReasonFetchError, 20, &fetch.LengthError{Got: 10, Want: 20}), fetch.ErrWrongLength, []string{"10 bytes", "20 bytes"}},
		{"wrong length sent", fetch.Failure(fetch.ReasonFetchError, 20, fmt.Errorf("%w: %w", fetch.ErrWrongLength,
			&network.Error{Kind: network.WrongLength, Host: "127.0.0.1:8080", Got: 10, Want: 2000})), fetch.ErrWrongLength, []string{"127.0.0.1:8080", "10 bytes", "2.0 kB"}},
		{"kept changing", fetch.Failure(fetch.ReasonFetchError, 0, &fetch.TriesError{Tries: 9, Restarts: true, Err: errors.New("restart: changed")}), fetch.ErrUnstable, []string{"9 restarts", "retry it later"}},
		{"network gave up", fetch.Failure(fetch.ReasonFetchError, 0, &fetch.TriesError{Tries: 6, Err: notAnswering}), fetch.ErrGaveUp, []string{"127.0.0.1:1", "6 tries"}},
		{"server errors gave up", fetch.Failure(fetch.ReasonBadStatus, 0, &fetch.TriesError{Tries: 4, Err: status(503)}), fetch.ErrGaveUp, []string{"127.0.0.1:8080", "503 Service Unavailable", "4 times"}},
		{"wrong parts gave up", fetch.Failure(fetch.ReasonFetchError, 0, &fetch.TriesError{Tries: 4, Err: fmt.Errorf("%w: asked for bytes 0-9, got 5-14", fetch.ErrInvalidResponse)}), fetch.ErrGaveUp, []string{"wrong part", "4 tries"}},
		{"stalls gave up", fetch.Failure(fetch.ReasonFetchError, 0, &fetch.TriesError{Tries: 7, Err: fetch.ErrStalled}), fetch.ErrGaveUp, []string{"stopped sending", "7 tries"}},
		{"anything else gave up", fetch.Failure(fetch.ReasonFetchError, 0, &fetch.TriesError{Tries: 5, Err: io.ErrUnexpectedEOF}), fetch.ErrGaveUp, []string{"kept failing", "5 tries"}},
		{"bad status", fetch.Failure(fetch.ReasonBadStatus, 0, status(404)), nil, []string{"127.0.0.1:8080", "404 Not Found for m.bin"}},
		{"untrusted", fetch.Failure(fetch.ReasonFetchError, 0, &network.Error{Kind: network.Untrusted, Host: "127.0.0.1:8443"}), nil, []string{"certificate", "127.0.0.1:8443"}},
		{"folder", fetch.Failure(fetch.ReasonFetchError, 0, &fetch.FileError{Op: fetch.OpFolder, Path: "/srv/models", Err: denied}), fetch.ErrFile, []string{"create the folder /srv/models", "permission was denied"}},
		{"open", fetch.Failure(fetch.ReasonFetchError, 0, &fetch.FileError{Op: fetch.OpOpen, Path: "/srv/partial/0.part", Err: &fs.PathError{Op: "open", Path: "/srv/partial/0.part", Err: errnoReadOnly}}), fetch.ErrFile, []string{"open the partial file /srv/partial/0.part", "read-only"}},
		{"write", fetch.Failure(fetch.ReasonFetchError, 0, &fetch.FileError{Op: fetch.OpWrite, Err: &fs.PathError{Op: "write", Path: "/srv/partial/0.part", Err: errnoIO}}), fetch.ErrFile, []string{"write the partial file /srv/partial/0.part"}},
		{"move", fetch.Failure(fetch.ReasonFetchError, 0, &fetch.FileError{Op: fetch.OpMove, Path: "/srv/models/m.bin", Err: &os.LinkError{Op: "rename", Old: "a", New: "b", Err: errnoCrossDevice}}), fetch.ErrFile, []string{"move the finished file to /srv/models/m.bin"}},
		{"link", fetch.Failure(fetch.ReasonFetchError, 0, &fetch.FileError{Op: fetch.OpLink, Path: "/srv/snapshots/m.bin", Err: &os.LinkError{Op: "symlink", Old: "a", New: "b", Err: errnoNotDir}}), fetch.ErrFile, []string{"make the link /srv/snapshots/m.bin", "not a folder"}},
		{"taken", fetch.Failure(fetch.ReasonFetchError, 0, &fetch.FileError{Op: fetch.OpTaken, Path: "/srv/mine.bin", Err: fs.ErrExist}), fs.ErrExist, []string{"/srv/mine.bin is already there"}},
		{"unexpected failure", fetch.Failure(fetch.ReasonFetchError, 0, errors.New("read tcp 127.0.0.1:1: unexpected EOF")), nil, []string{"retry it"}},
		{"duplicate id", fmt.Errorf("fetch x: %w", fetch.ErrDuplicateID), fetch.ErrDuplicateID, []string{"choose another id"}},
		{"not found", fetch.ErrNotFound, fetch.ErrNotFound, []string{"no download"}},
		{"invalid id", fetch.ErrInvalidID, fetch.ErrInvalidID, []string{"1 to 128"}},
		{"no requests", fetch.ErrNoRequests, fetch.ErrNoRequests, []string{"at least one file"}},
		{"locked", fetch.ErrLocked, fetch.ErrLocked, []string{"journal"}},
		{"not settled", fetch.ErrNotSettled, fetch.ErrNotSettled, []string{"cancel it first"}},
		{"not failed", fetch.ErrNotFailed, fetch.ErrNotFailed, []string{"Only a failed or cancelled download"}},
		{"conflict", &fetch.ConflictError{URL: "http://127.0.0.1/m", Field: fetch.InvalidDigest, Old: sum, New: other}, fetch.ErrConflict, []string{sum, other, "replace it"}},
		{"corrupt journal", &fetch.CorruptJournalError{Path: "/s/journal.json", MovedTo: "/s/journal.json.corrupt", Err: io.ErrUnexpectedEOF}, io.ErrUnexpectedEOF, []string{"/s/journal.json.corrupt"}},
		{"cancelled", fmt.Errorf("resolve: %w", context.Canceled), context.Canceled, []string{"cancelled"}},
		{"timed out", context.DeadlineExceeded, context.DeadlineExceeded, []string{"took too long"}},
		{"path error", denied, fs.ErrPermission, []string{"create the folder /srv/models", "permission was denied"}},
		{"socket in use", &net.OpError{Op: "listen", Net: "unix", Addr: &net.UnixAddr{Name: "/run/m.sock", Net: "unix"}, Err: os.NewSyscallError("bind", errnoInUse)}, errnoInUse, []string{"listen on /run/m.sock", "something else"}},
		{"a sayer", fmt.Errorf("hub: %w", said{}), nil, []string{"The domain's own words."}},
		{"a network error", refused, nil, []string{"127.0.0.1:1"}},
		{"waiting for the network", &fetch.WaitError{Err: &network.Error{Kind: network.Disconnected}, Wait: 4 * time.Second}, nil, nil},
		{"waiting for a server", &fetch.WaitError{Err: notAnswering, Wait: 4 * time.Second, Try: 2, Of: 9}, nil, []string{"127.0.0.1:1", "try 2 of 9"}},
		{"nobody's words", errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), nil, nil},
	}
	for _, kind := range []fetch.Invalid{fetch.InvalidURL, fetch.InvalidScheme, fetch.InvalidHost, fetch.InvalidDigest, fetch.InvalidSize, fetch.InvalidName, fetch.InvalidGitID, fetch.InvalidPath} {
		q := fetch.Request{URL: "ftp://127.0.0.1/m", SHA256: "xyz", Size: -1, Name: "../m", GitSHA1: "123"}
		tests = append(tests, struct {
			name string
			err  error
			is   error
			want []string
		}{"request " + string(kind), &fetch.RequestError{Kind: kind, Request: q}, nil, nil})
	}
	for _, kind := range []fetch.Invalid{fetch.InvalidTotal, fetch.InvalidConnections, fetch.InvalidDir} {
		o := fetch.Options{DownloadTotal: -1, Connections: 100000, Dir: "models"}
		tests = append(tests, struct {
			name string
			err  error
			is   error
			want []string
		}{"options " + string(kind), &fetch.OptionsError{Kind: kind, Options: o}, nil, nil})
	}
	for _, problem := range []fetch.PlaceProblem{fetch.PlaceRelative, fetch.PlaceDotDot, fetch.PlaceZeroByte, fetch.PlaceUnresolved,
		fetch.PlaceInternal, fetch.PlaceHidden, fetch.PlaceOutside, fetch.PlaceTaken} {
		e := &fetch.PlaceError{Path: "/home/you/.ssh/x", Problem: problem, Part: ".ssh", Allowed: []string{"/home/you/.cache/modelfetch/models", "/home/you"}}
		tests = append(tests, struct {
			name string
			err  error
			is   error
			want []string
		}{"place " + string(problem), e, nil, []string{"/home/you/.ssh/x"}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Log(Sentence(tc.err)) // for a reader of -v to judge the words
			wordstest.IsSentence(t, Sentence(tc.err), tc.want...)
			if tc.is != nil && !errors.Is(tc.err, tc.is) {
				t.Errorf("errors.Is(%v, %v) is false", tc.err, tc.is)
			}
			if e := tc.err.Error(); e != "" && unicode.IsUpper([]rune(e)[0]) {
				t.Errorf("the error for code %q is capitalised", e)
			}
		})
	}
	wordstest.IsSentence(t, Sentence(fetch.ErrAborted))
	for why := range restarts {
		wordstest.IsSentence(t, Restart(why))
	}
	wordstest.IsSentence(t, Restart("something new"))
	wordstest.IsSentence(t, VerySlow(2048), "2.0 kB/s")
	if s := Sentence(nil); s != "" {
		t.Errorf("Sentence(nil) = %q, want nothing", s)
	}
	if s := Sentence(errors.New("x")); s != unexpected {
		t.Errorf("an error nobody words: %q, want %q", s, unexpected)
	}
}
