// Package journal is what the engine keeps on disk so that a download
// survives kill -9 and reboots: the fetches, their records, the byte
// ranges written and synced, and the index of completed files. It is
// separate from the live state, so that the live structs can change freely.
package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/modelfetch/modelfetch/downloader/internal/ledger"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

// Version changes when the on-disk shape does in a way older code
// cannot read. Version 3 keeps the changes since the snapshot in a log
// beside it (Log) and the written ranges in a file of their own (see
// Store); version 2 stores the synced ranges of the byte ledger as
// segments done to their end, and the written ones in the records, as
// version 3 reads them; a version 1 journal's segments load the same way
// (their done part is what was synced).
const Version = 3

// File is what the journal holds on disk. It is separate from the
// live state so that the live structs can change freely.
type File struct {
	Version int `json:"version"`
	// Boot is the boot the records' written ranges were written in: they
	// are trusted only in the same boot. Version 3 keeps both in the
	// written file (see Store), not in the snapshot.
	Boot string `json:"boot,omitempty"`
	// Log numbers the log of changes made since this snapshot (0: none).
	Log       int64       `json:"log,omitempty"`
	Fetches   []Fetch     `json:"fetches"`
	Completed []Completed `json:"completed,omitempty"`
}

// Completed is a verified download, kept after its fetch is removed
// from the list so that it is never downloaded again.
type Completed struct {
	URL    string `json:"url"`
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
	// Mod is the file's modification time (Unix ns) when it was verified:
	// a file of the right size written to since no longer has the
	// recorded digest for certain. 0 in journals from before it was kept.
	Mod int64 `json:"mod,omitempty"`
}

// Changed reports whether the file at c.Path is no longer the verified
// download: shorter or longer, or, when its digest was recorded, written
// to since. Reading the times instead of hashing again keeps a multi-GB
// file from being read under the engine's lock; a Changed file is
// downloaded again into its place. A file that is gone is not Changed.
func (c Completed) Changed() (gone, changed bool) {
	st, err := os.Stat(c.Path)
	if err != nil || !st.Mode().IsRegular() {
		return true, false
	}
	return false, st.Size() != c.Size || c.Mod != 0 && st.ModTime().UnixNano() != c.Mod
}

type Fetch struct {
	ID      string        `json:"id"`
	Options fetch.Options `json:"options"`
	Created time.Time     `json:"created"`
	Paused  bool          `json:"paused,omitempty"`
	State   fetch.State   `json:"state"`
	Reason  fetch.Reason  `json:"reason,omitempty"`
	Message string        `json:"message,omitempty"`
	Status  int           `json:"status,omitempty"`
	Records []Record      `json:"records"`
}

type Record struct {
	Request   fetch.Request `json:"request"`
	Name      string        `json:"name,omitempty"`
	Size      int64         `json:"size"`
	Validator string        `json:"validator,omitempty"`
	SHA256    string        `json:"sha256,omitempty"`
	Ranges    bool          `json:"ranges,omitempty"`
	Segments  []Segment     `json:"segments,omitempty"` // synced
	Written   []Segment     `json:"written,omitempty"`  // written, synced or not
	HashState []byte        `json:"hashState,omitempty"`
	Path      string        `json:"path,omitempty"`
	State     fetch.State   `json:"state"`
	Reason    fetch.Reason  `json:"reason,omitempty"`
	Message   string        `json:"message,omitempty"`
	Status    int           `json:"status,omitempty"`
	Offset    int64         `json:"offset,omitempty"`
	// Mismatch and Unverified: see record.
	Mismatch   string `json:"mismatch,omitempty"`
	Unverified bool   `json:"unverified,omitempty"`
	// Shared: the apps the completed file was made available to.
	Shared []fetch.Shared `json:"shared,omitempty"`
}

// Segment is a byte range [Start, End) of which [Start, Done) is
// synced to disk. Version 2 writes only synced ranges (Done == End);
// version 1 also wrote planned ranges, with End -1 while the length was
// unknown.
type Segment struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	Done  int64 `json:"done"`
}

// Read loads the journal at path: the snapshot, the changes its log
// holds, and the written ranges of this boot or another (File.Boot says
// which). A missing journal is an empty one. A snapshot that does not
// parse is renamed aside and reported as a *CorruptJournalError together
// with an empty journal.
func Read(path string, now time.Time) (File, error) {
	j, _, err := load(path, now)
	return j, err
}

// readSnapshot reads the snapshot at path, setting it aside when it is
// unreadable; log is the log of changes made since, already read.
func readSnapshot(path string, now time.Time, log func(*File) error) (File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return File{Version: Version}, nil
	}
	if err != nil {
		return File{}, fmt.Errorf("read journal: %w", err)
	}
	var j File
	err = json.Unmarshal(data, &j)
	if err == nil && (j.Version < 1 || j.Version > Version) {
		err = fmt.Errorf("unknown journal version %d", j.Version)
	}
	if err == nil {
		err = log(&j)
	}
	if err == nil {
		err = j.check()
	}
	if err == nil {
		j.Version = Version
		return j, nil
	}
	aside := fmt.Sprintf("%s.corrupt-%s", path, now.UTC().Format("20060102T150405Z"))
	if rerr := os.Rename(path, aside); rerr != nil {
		return File{}, fmt.Errorf("journal %s is unreadable (%v) and could not be moved aside: %w", path, err, rerr)
	}
	return File{Version: Version}, &fetch.CorruptJournalError{Path: path, MovedTo: aside, Err: err}
}

// check rejects a journal that parses but cannot be right, so that it is
// set aside rather than acted on.
func (j File) check() error {
	seen := map[string]bool{}
	for _, f := range j.Fetches {
		if !fetch.ValidID(f.ID) || seen[f.ID] {
			return fmt.Errorf("bad or repeated fetch id %q", f.ID)
		}
		seen[f.ID] = true
		if len(f.Records) == 0 {
			return fmt.Errorf("fetch %q has no records", f.ID)
		}
		for _, r := range f.Records {
			for _, s := range append(r.Segments, r.Written...) {
				if s.Start < 0 || s.Done < s.Start || (s.End >= 0 && s.Done > s.End) {
					return fmt.Errorf("fetch %q has an impossible segment %+v", f.ID, s)
				}
			}
		}
	}
	return nil
}

// Segments returns ranges as segments done to their end (the
// shape older journals used for partly done segments).
func Segments(s ledger.Spans) []Segment {
	out := make([]Segment, 0, len(s))
	for _, x := range s {
		out = append(out, Segment{Start: x.From, End: x.To, Done: x.To})
	}
	return out
}

// LoadSpans reads the done parts of journalled segments.
func Spans(segs []Segment) ledger.Spans {
	var s ledger.Spans
	for _, seg := range segs {
		s = s.Add(seg.Start, seg.Done)
	}
	return s
}
