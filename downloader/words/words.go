// Package words is the one place where an error becomes what a person
// reads. Errors stay for code (lower-case chains, sentinels, typed
// causes); Sentence words them the same for the window, the command line
// and the local API. A sentence is capitalised, ends with a period, gives
// the numbers a person needs and says what to do in words that suit every
// client; it never quotes Go's error text: the engine logs that.
package words

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/modelfetch/modelfetch/downloader/apps"
	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/dustin/go-humanize"
	"github.com/modelfetch/modelfetch/downloader/network"
)

// Sayer is an error that knows its own words: the Hub's (hf.Error), the
// network's (network.Error) and an answer of the local API (api.Error).
// Sentence finds one anywhere in a chain with errors.As, so that domain
// packages word their errors without this package importing them.
type Sayer interface {
	error
	Sentence() string
}

// unexpected is the sentence for an error nobody has words for; the
// engine's logger, if any, has the error itself.
const unexpected = "Something went wrong that ModelFetch did not expect; try again."

// Sentence is err as a person reads it: capitalised, ending with a
// period, with the numbers a person needs and, where there is one, what
// to do in words that fit every client. A record's failure (*FailError)
// is worded from its cause and where it happened; the engine's errors to
// callers (ErrNotFound, *RequestError, ...) and every Sayer have their own
// sentences. It is "" for nil.
func Sentence(err error) string {
	if err == nil {
		return ""
	}
	var fe *fetch.FailError
	if errors.As(err, &fe) {
		return failureSentence(fe)
	}
	var we *fetch.WaitError
	if errors.As(err, &we) {
		return waitSentence(we)
	}
	for _, word := range []func(error) string{sayerSentence, callerSentence, fileSentence, contextSentence} {
		if s := word(err); s != "" {
			return s
		}
	}
	return unexpected
}

// failureSentence words a record's failure from its cause.
func failureSentence(fe *fetch.FailError) string {
	for _, word := range []func(*fetch.FailError) string{sizeSentence, checkSentence, triesSentence} {
		if s := word(fe); s != "" {
			return s
		}
	}
	var se *fetch.StatusError
	var ce *fetch.ConflictError
	switch {
	case errors.As(fe.Err, &se):
		return statusSentence(se) + "."
	case errors.As(fe.Err, &ce):
		return conflictSentence(ce)
	}
	for _, word := range []func(error) string{sayerSentence, fileSentence} {
		if s := word(fe.Err); s != "" {
			return s
		}
	}
	// The engine logs a record's failure with its error (instance.Log).
	return "The download stopped on an error ModelFetch did not expect; retry it. Its cause is in modelfetch.log, beside the download journal."
}

// sizeSentence words a failure of space or size, or "".
func sizeSentence(fe *fetch.FailError) string {
	var se *fetch.SpaceError
	var te *fetch.TotalError
	switch {
	case errors.As(fe.Err, &se) && se.Need > 0:
		return fmt.Sprintf("There is not enough disk space: %s is needed and %s is free. Free some space and retry it.",
			bytesText(se.Need), bytesText(se.Free))
	case errors.As(fe.Err, &se) && fe.Offset > 0:
		return fmt.Sprintf("The disk is full. Free some space and retry it: the %s already downloaded are kept.", bytesText(fe.Offset))
	case errors.As(fe.Err, &se):
		return "The disk is full. Free some space and retry it."
	case errors.As(fe.Err, &te) && te.AtLeast:
		return fmt.Sprintf("The server sent more than the %s this download may use, so it was stopped.", bytesText(te.Limit))
	case errors.As(fe.Err, &te):
		return fmt.Sprintf("The files are %s, more than the %s this download may use.", bytesText(te.Size), bytesText(te.Limit))
	}
	return ""
}

// checkSentence words a finished file that failed its checks, or "".
func checkSentence(fe *fetch.FailError) string {
	var ie *fetch.IntegrityError
	var ge *fetch.GapError
	var le *fetch.LengthError
	switch {
	case errors.As(fe.Err, &ie):
		return fmt.Sprintf("The file differs from the checksum given: its %s is %s, not %s, so it was set aside.", ie.Digest, ie.Got, ie.Want)
	case errors.As(fe.Err, &ge):
		return fmt.Sprintf("The download is missing bytes %s, so it was not kept; retry it.", ge.Gaps)
	case errors.As(fe.Err, &le):
		return fmt.Sprintf("The partial file has %s where the file has %s, so it was not kept; retry it.", bytesText(le.Got), bytesText(le.Want))
	}
	return ""
}

// triesSentence words a record that stopped after failing again and
// again, or "".
func triesSentence(fe *fetch.FailError) string {
	var te *fetch.TriesError
	if !errors.As(fe.Err, &te) {
		return ""
	}
	var se *fetch.StatusError
	var say Sayer
	switch {
	case te.Restarts:
		return fmt.Sprintf("The server kept changing the file or breaking the download, so it stopped after %d restarts; retry it later.", te.Tries)
	case errors.As(te.Err, &say):
		return fmt.Sprintf("%s; gave up after %d tries.", strings.TrimSuffix(say.Sentence(), "."), te.Tries)
	case errors.As(te.Err, &se):
		return fmt.Sprintf("%s, %d times in a row; retry it later.", statusSentence(se), te.Tries)
	case errors.Is(te.Err, fetch.ErrInvalidResponse):
		return fmt.Sprintf("The server kept sending the wrong part of the file; gave up after %d tries. Retry it later.", te.Tries)
	case errors.Is(te.Err, fetch.ErrStalled):
		return fmt.Sprintf("The server stopped sending data; gave up after %d tries. Retry it later.", te.Tries)
	}
	return fmt.Sprintf("The download kept failing; gave up after %d tries. Retry it later.", te.Tries)
}

// statusSentence is "The server at HOST answered 404 Not Found for
// NAME", without its period.
func statusSentence(se *fetch.StatusError) string {
	s := fmt.Sprintf("answered %d %s", se.Code, http.StatusText(se.Code))
	u, err := url.Parse(se.URL)
	if err != nil || u.Host == "" {
		return "The server " + s
	}
	if name := path.Base(u.Path); name != "/" && name != "." {
		s += " for " + name
	}
	return "The server at " + u.Host + " " + s
}

// sayerSentence is the sentence of a Sayer in err's chain, or "".
func sayerSentence(err error) string {
	var say Sayer
	if errors.As(err, &say) {
		return say.Sentence()
	}
	return ""
}

// callerSentence words the engine's errors to its callers, or "".
func callerSentence(err error) string {
	var re *fetch.RequestError
	var oe *fetch.OptionsError
	var pe *fetch.PlaceError
	var ae *fetch.AppError
	var ce *fetch.ConflictError
	var je *fetch.CorruptJournalError
	switch {
	case errors.As(err, &re):
		return requestSentence(re)
	case errors.As(err, &oe):
		return optionsSentence(oe)
	case errors.As(err, &pe):
		return placeSentence(pe)
	case errors.As(err, &ae):
		return appSentence(ae)
	case errors.As(err, &ce):
		return conflictSentence(ce)
	case errors.As(err, &je):
		return fmt.Sprintf("The download journal %s could not be read; it was moved to %s and ModelFetch started with an empty list.", je.Path, je.MovedTo)
	}
	return lookup(err, callerErrors)
}

// callerErrors are the sentences of the Manager's sentinels.
var callerErrors = []worded{
	{fetch.ErrAborted, "The download was cancelled."},
	{fetch.ErrHeldElsewhere, "Another program (such as huggingface_hub) is downloading this file; ModelFetch waits and takes the file once it is done."},
	{fetch.ErrDuplicateID, "A different download with this id is in progress; choose another id."},
	{fetch.ErrNotFound, "There is no download with this id."},
	{fetch.ErrInvalidID, "A download's id is 1 to 128 letters, digits, '.', '_' or '-', not starting with '.'."},
	{fetch.ErrNoRequests, "A download needs at least one file."},
	{fetch.ErrLocked, "Another ModelFetch is using the download journal; quit it, or use it instead."},
	{fetch.ErrNotSettled, "The download is still active; cancel it first."},
	{fetch.ErrNotFailed, "Only a failed or cancelled download can be retried."},
}

// requestSentence says what is wrong with a request.
func requestSentence(e *fetch.RequestError) string {
	q := e.Request
	switch e.Kind {
	case fetch.InvalidURL:
		return fmt.Sprintf("The address %q does not parse as a URL.", network.Redact(q.URL))
	case fetch.InvalidScheme:
		return fmt.Sprintf("The address %q cannot be downloaded: only http and https addresses can.", network.Redact(q.URL))
	case fetch.InvalidHost:
		return fmt.Sprintf("The address %q has no host name.", network.Redact(q.URL))
	case fetch.InvalidDigest:
		return fmt.Sprintf("The SHA-256 %q is not 64 hexadecimal digits.", q.SHA256)
	case fetch.InvalidSize:
		return fmt.Sprintf("The size %d is negative.", q.Size)
	case fetch.InvalidGitID:
		return fmt.Sprintf("The git blob id %q is not 40 hexadecimal digits alone.", q.GitSHA1)
	case fetch.InvalidPath:
		return fmt.Sprintf("The destination and links of %s must be absolute paths.", network.Redact(q.URL))
	}
	return fmt.Sprintf("The file name %q is not a plain file name (no folders, no \"..\", no control characters).", q.Name)
}

// optionsSentence says what is wrong with a fetch's options.
func optionsSentence(e *fetch.OptionsError) string {
	o := e.Options
	switch e.Kind {
	case fetch.InvalidTotal:
		return fmt.Sprintf("The download total %d is negative; give the size in bytes, or nothing.", o.DownloadTotal)
	case fetch.InvalidConnections:
		return fmt.Sprintf("The connections per file must be between 0 (automatic) and %d, not %d.", fetch.MaxConnections, o.Connections)
	}
	return fmt.Sprintf("The folder %q is not an absolute path; write it from the root, such as /home/you/models.", o.Dir)
}

// placeSentence says why the engine will not write where a client asked.
func placeSentence(e *fetch.PlaceError) string {
	why := map[fetch.PlaceProblem]string{
		fetch.PlaceRelative:   "it is not an absolute path; write it from the root, such as /home/you/models",
		fetch.PlaceDotDot:     `it contains ".."; name the folder itself`,
		fetch.PlaceZeroByte:   "it contains a zero byte",
		fetch.PlaceUnresolved: "a symbolic link on the way leads nowhere",
		fetch.PlaceInternal:   "it is inside ModelFetch's own working folders",
		fetch.PlaceTaken:      "something that ModelFetch did not download is already there, and it is never replaced",
	}[e.Problem]
	switch e.Problem {
	case fetch.PlaceHidden:
		why = fmt.Sprintf("it is in the hidden folder %q; choose a visible folder in your home folder", e.Part)
	case fetch.PlaceOutside:
		why = "downloads may only go inside " + strings.Join(slices.DeleteFunc(slices.Clone(e.Allowed), func(s string) bool { return s == "" }), " or ")
	}
	return fmt.Sprintf("ModelFetch will not write at %s: %s.", e.Path, why)
}

// appSentence says why a file was not made available to an app.
func appSentence(e *fetch.AppError) string {
	switch {
	case e.Err == nil:
		return fmt.Sprintf("%s keeps its models on another disk, so using the file there needs a copy of %s; allow the copy to make it.", e.App, bytesText(e.Copy))
	case errors.Is(e.Err, fetch.ErrNotShareable):
		return fmt.Sprintf("Nothing of this download can be given to %s: only a Hugging Face model's file, complete and verified by its SHA-256, can.", e.App)
	case errors.Is(e.Err, apps.ErrNotFound):
		return fmt.Sprintf("%s was not found on this computer: its models folder is not there.", e.App)
	case errors.Is(e.Err, apps.ErrTaken):
		return fmt.Sprintf("%s already has another file where this model would go, and it was left as it is.", e.App)
	}
	return fmt.Sprintf("The file could not be made available to %s%s.", e.App, whyText(e.Err))
}

// conflictSentence says which of a known file's fields a request changes.
func conflictSentence(e *fetch.ConflictError) string {
	what := "SHA-256"
	if e.Field == fetch.InvalidName {
		what = "file name"
	}
	return fmt.Sprintf("The file at %q is already known with the %s %q, not %q; replace it to use the new one.", network.Redact(e.URL), what, e.Old, e.New)
}

// fileSentence words a file or folder that could not be made, written or
// moved, and a socket that could not be used, or "".
func fileSentence(err error) string {
	var fe *fetch.FileError
	var pe *fs.PathError
	var oe *net.OpError
	switch {
	case errors.As(err, &fe) && fe.Op == fetch.OpTaken:
		return fmt.Sprintf("The file %s is already there and was not replaced.", fe.Path)
	case errors.As(err, &fe):
		return fmt.Sprintf("ModelFetch could not %s%s%s; retry it once that is fixed.", fe.Op, pathText(fe.Path, err), whyText(err))
	case errors.As(err, &pe):
		return fmt.Sprintf("ModelFetch could not %s %s%s.", opText(pe.Op), pe.Path, whyText(err))
	case errors.As(err, &oe) && oe.Addr != nil:
		return fmt.Sprintf("ModelFetch could not %s %s%s.", opText(oe.Op), oe.Addr, whyText(err))
	}
	return ""
}

// pathText is " PATH", the path of a file error, else of the system's
// error under it.
func pathText(path string, err error) string {
	var pe *fs.PathError
	if path == "" && errors.As(err, &pe) {
		path = pe.Path
	}
	if path == "" {
		return ""
	}
	return " " + path
}

// opText words a system call's operation.
func opText(op string) string {
	switch op {
	case "open":
		return "open"
	case "mkdir":
		return "create the folder"
	case "rename":
		return "rename"
	case "remove", "unlinkat":
		return "remove"
	case "write", "sync", "truncate", "fallocate":
		return "write"
	case "listen":
		return "listen on"
	case "dial":
		return "connect to"
	}
	return "read"
}

// whyText is ": the disk is full" and the like for the system errors a
// person can fix, "" for others.
func whyText(err error) string {
	if why := lookup(err, systemErrors); why != "" {
		return ": " + why
	}
	return ""
}

// systemErrors are the words for the system's errors a person can fix:
// the system's own (systemErrnos, one file per system) first, as they are
// more precise than the portable kinds Go also matches them with (Windows'
// unreachable network folder is fs.ErrNotExist too), then the portable.
var systemErrors = append(systemErrnos[:len(systemErrnos):len(systemErrnos)], []worded{
	{fs.ErrPermission, "permission was denied"},
	{fs.ErrNotExist, "it does not exist"},
	{fs.ErrExist, "something is already there"},
}...)

// contextSentence words a cancelled or timed-out wait, or "".
func contextSentence(err error) string { return lookup(err, contextErrors) }

var contextErrors = []worded{
	{context.Canceled, "It was cancelled before it finished."},
	{context.DeadlineExceeded, "It took too long and was stopped; try again."},
}

// worded is the words for the errors that errors.Is matches with err.
type worded struct {
	err   error
	words string
}

// lookup is the words of the first of table that err is, or "".
func lookup(err error, table []worded) string {
	for _, w := range table {
		if errors.Is(err, w.err) {
			return w.words
		}
	}
	return ""
}

// waitSentence is what a record says while it waits to try again: the
// cause's sentence, and for a server, the wait and which try is next.
func waitSentence(we *fetch.WaitError) string {
	var ne *network.Error
	if we.Of == 0 || !errors.As(we.Err, &ne) {
		return Sentence(we.Err)
	}
	return fmt.Sprintf("%s (try %d of %d).", strings.TrimSuffix(network.Sentence(ne, we.Wait), "."), we.Try, we.Of)
}

// Restart is why a record's bytes went back to zero, as a person reads
// it ("" for none).
func Restart(why fetch.Restart) string {
	if why == "" {
		return ""
	}
	if s, ok := restarts[why]; ok {
		return s
	}
	return "The download started again from the beginning."
}

var restarts = map[fetch.Restart]string{
	fetch.RestartChanged:      "The file changed on the server, so it is downloaded from the start.",
	fetch.RestartLength:       "The file's length changed on the server, so it is downloaded from the start.",
	fetch.RestartNoRanges:     "The server cannot resume, so the file is downloaded from the start.",
	fetch.RestartWholeFile:    "The server sent the whole file instead of the missing part, so it is downloaded from the start.",
	fetch.RestartRangeRefused: "The server refused the missing part, so the file is downloaded from the start.",
	fetch.RestartPartialLost:  "The partial file was missing or short, so the file is downloaded from the start.",
	fetch.RestartExpired:      "The download link expired, so it was asked for again.",
	fetch.RestartMismatch:     "The file did not match its SHA-256 and changed on the server, so it is downloaded once more.",
}

// VerySlow is what a download says once it ran below the engine's floor
// for a while, so that a trickle does not look like a frozen bar.
func VerySlow(bytesPerSecond float64) string {
	return "Very slow: " + humanize.Bytes(uint64(bytesPerSecond)) + "/s."
}

// bytesText is a size as a person reads it: "512 bytes", "1.5 GiB".
func bytesText(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d bytes", n)
	}
	return humanize.IBytes(uint64(n))
}
