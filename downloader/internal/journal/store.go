package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/internal/disk"
)

// A journal on disk is three files, so that what changes often costs
// little and never waits for what must be durable:
//
//   - the snapshot (path): the whole journal, replaced atomically and
//     synced, as version 2 was;
//   - the log (path.N.log, N the snapshot's Log): the changes made since
//     the snapshot, one checksummed line each, appended and synced with
//     fdatasync, so that a change costs its own size and not the
//     journal's. A line cut short by a crash ends the log there;
//   - the written file (path.written): the ranges written but not yet
//     synced, with the boot they were written in, replaced atomically but
//     never synced: a process killed in this boot leaves them in the page
//     cache, a power cut loses them with the boot.
//
// Only one Store writes a journal at a time (the engine's lock).

// Change is one change in the log: a fetch's header, a record, the list
// of fetches, or the completed list.
type Change struct {
	// Fetch is a fetch's header (its Records are not used) and Count how
	// many records it has: a new fetch is added at the end of the list.
	Fetch *Fetch `json:"fetch,omitempty"`
	Count int    `json:"count,omitempty"`
	// Record is record Index of the fetch with ID.
	Record *Record `json:"record,omitempty"`
	ID     string  `json:"id,omitempty"`
	Index  int     `json:"index,omitempty"`
	// Order is the list of fetches by id, when fetches were removed or
	// moved: those not in it are dropped.
	Order *[]string `json:"order,omitempty"`
	// Keep, when set, keeps the first Keep completed files and adds
	// Completed after them.
	Keep      *int        `json:"keep,omitempty"`
	Completed []Completed `json:"completed,omitempty"`
}

// Written is the written file: the ranges written to partial files, synced
// or not, of the records that have ranges not yet synced.
type Written struct {
	Boot    string          `json:"boot"`
	Records []WrittenRecord `json:"records"`
}

// WrittenRecord is the written ranges of record Index of fetch ID, of
// the file of Size bytes with Validator they belong to. The snapshot and
// the log may lag behind it: its ranges count only for a record of the
// same file there, since a record that is made to start again with
// another file may be saved there after its new bytes are written here.
type WrittenRecord struct {
	ID        string    `json:"id"`
	Index     int       `json:"index"`
	Size      int64     `json:"size"`
	Validator string    `json:"validator,omitempty"`
	Written   []Segment `json:"written"`
}

// Store writes a journal: the snapshot, the log of changes since, and the
// written file. Snapshot and Append are called by one goroutine at a
// time; SaveWritten may run beside them.
type Store struct {
	path     string
	logSeq   int64 // the log the snapshot names
	logSize  int64 // its bytes that hold whole changes
	snapSize int64
	written  Written // the written file as Open found it
}

// Open reads the journal at path as Read does and returns the Store that
// writes it from then on.
func Open(path string, now time.Time) (*Store, File, error) {
	j, st, err := load(path, now)
	var corrupt *fetch.CorruptJournalError
	if err != nil && !errors.As(err, &corrupt) {
		return nil, j, err
	}
	return st, j, err
}

// LogPath is the file of the log number seq of the journal at path.
func LogPath(path string, seq int64) string { return fmt.Sprintf("%s.%d.log", path, seq) }

// WrittenPath is the written file of the journal at path.
func WrittenPath(path string) string { return path + ".written" }

// load reads the snapshot, applies its log, and merges the written file.
func load(path string, now time.Time) (File, *Store, error) {
	st := &Store{path: path}
	j, err := readSnapshot(path, now, func(j *File) error {
		if j.Log == 0 {
			return nil
		}
		n, err := applyLog(LogPath(path, j.Log), j)
		st.logSeq, st.logSize = j.Log, n
		return err
	})
	st.removeStaleLogs()
	if err != nil {
		return j, st, err
	}
	if fi, serr := os.Stat(path); serr == nil {
		st.snapSize = fi.Size()
	}
	if w, werr := readWritten(WrittenPath(path)); werr == nil {
		j.merge(w)
		st.written = w
	}
	return j, st, nil
}

// applyLog applies the whole changes of the log at name to j and returns
// the length of the log they fill: a line cut short or damaged by a crash
// ends the log.
func applyLog(name string, j *File) (int64, error) {
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read journal log: %w", err)
	}
	defer f.Close()
	index := j.index()
	r := bufio.NewReaderSize(f, 1<<20)
	var good int64
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			if errors.Is(err, io.EOF) {
				return good, nil
			}
			return good, fmt.Errorf("read journal log: %w", err)
		}
		c, ok := parseLine(line)
		if !ok {
			return good, nil
		}
		j.apply(c, index)
		good += int64(len(line))
	}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// parseLine reads "crc32c json\n"; ok is false for a line a crash damaged.
func parseLine(line []byte) (Change, bool) {
	var c Change
	sum, data, found := bytes.Cut(bytes.TrimSuffix(line, []byte("\n")), []byte(" "))
	want, err := strconv.ParseUint(string(sum), 16, 32)
	if !found || err != nil || crc32.Checksum(data, castagnoli) != uint32(want) {
		return c, false
	}
	return c, json.Unmarshal(data, &c) == nil
}

// index maps fetch ids to their place in j.Fetches.
func (j *File) index() map[string]int {
	m := make(map[string]int, len(j.Fetches))
	for i, f := range j.Fetches {
		m[f.ID] = i
	}
	return m
}

// apply makes change c to j; index follows j.Fetches.
func (j *File) apply(c Change, index map[string]int) {
	switch {
	case c.Fetch != nil:
		j.applyHeader(*c.Fetch, c.Count, index)
	case c.Record != nil:
		if i, ok := index[c.ID]; ok && c.Index >= 0 && c.Index < len(j.Fetches[i].Records) {
			j.Fetches[i].Records[c.Index] = *c.Record
		}
	case c.Order != nil:
		fetches := make([]Fetch, 0, len(*c.Order))
		for _, id := range *c.Order {
			if i, ok := index[id]; ok {
				fetches = append(fetches, j.Fetches[i])
			}
		}
		j.Fetches = fetches
		clear(index)
		for i, f := range j.Fetches {
			index[f.ID] = i
		}
	case c.Keep != nil:
		j.Completed = append(j.Completed[:min(max(*c.Keep, 0), len(j.Completed))], c.Completed...)
	}
}

// applyHeader sets the header of fetch f.ID, adding the fetch at the end
// when it is new, and gives it count records, the new ones empty until
// their own changes.
func (j *File) applyHeader(f Fetch, count int, index map[string]int) {
	i, ok := index[f.ID]
	if !ok {
		i = len(j.Fetches)
		index[f.ID] = i
		j.Fetches = append(j.Fetches, Fetch{})
	}
	records := j.Fetches[i].Records
	if len(records) > count {
		records = records[:count]
	}
	for len(records) < count {
		records = append(records, Record{})
	}
	f.Records = records
	j.Fetches[i] = f
}

// merge puts the written ranges of w into j's records.
func (j *File) merge(w Written) {
	index := j.index()
	j.Boot = w.Boot
	for _, wr := range w.Records {
		i, ok := index[wr.ID]
		if !ok || wr.Index < 0 || wr.Index >= len(j.Fetches[i].Records) {
			continue
		}
		if r := &j.Fetches[i].Records[wr.Index]; r.Size == wr.Size && r.Validator == wr.Validator {
			r.Written = wr.Written
		}
	}
}

func readWritten(name string) (Written, error) {
	var w Written
	data, err := os.ReadFile(name)
	if err != nil {
		return w, err
	}
	err = json.Unmarshal(data, &w)
	for _, r := range w.Records {
		for _, s := range r.Written {
			if s.Start < 0 || s.Done < s.Start || s.Done > s.End {
				return Written{}, fmt.Errorf("impossible written range %+v", s)
			}
		}
	}
	return w, err
}

// removeStaleLogs removes the logs of earlier snapshots, left by a crash
// between a snapshot and the removal of its old log.
func (s *Store) removeStaleLogs() {
	old, _ := filepath.Glob(s.path + ".*.log")
	for _, name := range old {
		if name != LogPath(s.path, s.logSeq) && strings.HasSuffix(name, ".log") {
			os.Remove(name) // a log no snapshot names is never read
		}
	}
}

// Found is the written file as Open found it, with the ranges that did
// not count too (see WrittenRecord): the caller must not let them count
// later, when its records come to match them.
func (s *Store) Found() Written { return s.written }

// SnapshotSize and LogSize are the bytes of the snapshot and of its log:
// the caller compacts the log into a snapshot when it grows past it.
func (s *Store) SnapshotSize() int64 { return s.snapSize }
func (s *Store) LogSize() int64      { return s.logSize }

// Snapshot replaces the journal by j, whole, and starts an empty log. j's
// written ranges are not kept here (see SaveWritten).
func (s *Store) Snapshot(j File) error {
	j.Version, j.Boot, j.Log = Version, "", s.logSeq+1
	for i := range j.Fetches {
		j.Fetches[i].Records = withoutWritten(j.Fetches[i].Records)
	}
	data, err := json.MarshalIndent(j, "", " ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return err
	}
	if err := disk.WriteFile(s.path, data, 0o600); err != nil {
		return err
	}
	// The old log is no longer read: the snapshot names the next one.
	os.Remove(LogPath(s.path, s.logSeq))
	s.logSeq, s.logSize, s.snapSize = j.Log, 0, int64(len(data))
	return nil
}

func withoutWritten(rs []Record) []Record {
	out := make([]Record, len(rs))
	for i, r := range rs {
		r.Written = nil
		out[i] = r
	}
	return out
}

// errNoSnapshot is an Append before this Store took a snapshot: changes
// are relative to a snapshot, so the first save of a process is one.
var errNoSnapshot = errors.New("journal log appended before a snapshot")

// Append adds changes to the log and syncs it. The changes are relative
// to the journal as this Store last wrote it, so a Snapshot comes first.
func (s *Store) Append(changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	if s.logSeq == 0 {
		return errNoSnapshot
	}
	var buf bytes.Buffer
	for _, c := range changes {
		data, err := json.Marshal(c)
		if err != nil {
			return err
		}
		fmt.Fprintf(&buf, "%08x %s\n", crc32.Checksum(data, castagnoli), data)
	}
	f, err := s.openLog()
	if err != nil {
		return err
	}
	_, err = f.Write(buf.Bytes())
	if err == nil {
		err = disk.SyncData(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err // the next Append cuts what this one left
	}
	s.logSize += int64(buf.Len())
	return nil
}

// openLog opens the log for appending after its last whole change,
// cutting what a crash or a failed write left after it.
func (s *Store) openLog() (*os.File, error) {
	name := LogPath(s.path, s.logSeq)
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(s.logSize); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(s.logSize, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	if s.logSize == 0 {
		// A new log must survive a crash as a name, not only as data.
		if err := disk.SyncDir(filepath.Dir(name)); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

// SaveWritten replaces the written file by w without syncing it: it
// outlives the process, not the boot, as the bytes it describes do.
func (s *Store) SaveWritten(w Written) error {
	data, err := json.Marshal(w)
	if err != nil {
		return err
	}
	name := WrittenPath(s.path)
	return disk.ReplaceUnsynced(name, 0o600, func(wr io.Writer) error {
		_, err := wr.Write(data)
		return err
	})
}
