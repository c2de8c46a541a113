package journal

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/fetch"
)

func record(url string, synced ...Segment) Record {
	return Record{Request: fetch.Request{URL: url}, Size: 100, State: fetch.StateQueued, Segments: synced}
}

// open is a Store on a journal in a folder of its own.
func open(t *testing.T, path string) (*Store, File) {
	t.Helper()
	st, j, err := Open(path, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return st, j
}

// TestLogReplays: changes appended after a snapshot are read back as the
// journal they make, in order: a record changed, a fetch added, one
// removed, completed files kept in part and added.
func TestLogReplays(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.json")
	st, _ := open(t, path)
	j := File{
		Fetches: []Fetch{
			{ID: "a", State: fetch.StateQueued, Records: []Record{record("http://127.0.0.1/a0"), record("http://127.0.0.1/a1")}},
			{ID: "b", State: fetch.StateQueued, Records: []Record{record("http://127.0.0.1/b0")}},
		},
		Completed: []Completed{{URL: "u1", Path: "/p1", Size: 1}, {URL: "u2", Path: "/p2", Size: 2}},
	}
	if err := st.Snapshot(j); err != nil {
		t.Fatal(err)
	}
	a1 := record("http://127.0.0.1/a1", Segment{Start: 0, End: 50, Done: 50})
	c := Fetch{ID: "c", State: fetch.StateQueued}
	order := []string{"a", "c"}
	keep := 1
	changes := []Change{
		{Record: &a1, ID: "a", Index: 1},
		{Fetch: &c, Count: 1},
		{Record: ptr(record("http://127.0.0.1/c0")), ID: "c", Index: 0},
		{Order: &order},
		{Keep: &keep, Completed: []Completed{{URL: "u3", Path: "/p3", Size: 3}}},
	}
	if err := st.Append(changes); err != nil {
		t.Fatal(err)
	}
	want := File{Version: Version, Log: 1,
		Fetches: []Fetch{
			{ID: "a", State: fetch.StateQueued, Records: []Record{record("http://127.0.0.1/a0"), a1}},
			{ID: "c", State: fetch.StateQueued, Records: []Record{record("http://127.0.0.1/c0")}},
		},
		Completed: []Completed{{URL: "u1", Path: "/p1", Size: 1}, {URL: "u3", Path: "/p3", Size: 3}},
	}
	got, err := Read(path, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, want)
	}
	// A snapshot takes the log in and starts the next one.
	if err := st.Snapshot(got); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(LogPath(path, 1)); !os.IsNotExist(err) {
		t.Errorf("the first log is still there after the next snapshot (%v)", err)
	}
	again, err := Read(path, time.Time{})
	want.Log = 2
	if err != nil || !reflect.DeepEqual(again, want) {
		t.Errorf("after a second snapshot: %v\n%+v\nwant\n%+v", err, again, want)
	}
}

func ptr[T any](v T) *T { return &v }

// TestLogCutShort: a change cut short or damaged by a crash ends the log;
// the changes before it hold, and the next append follows them.
func TestLogCutShort(t *testing.T) {
	for name, tail := range map[string]string{
		"cut short":   `1234abcd {"record": {"req`,
		"bad sum":     "00000000 {}\n",
		"zeros":       "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\n",
		"no checksum": "{}\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.json")
			st, _ := open(t, path)
			if err := st.Snapshot(File{Fetches: []Fetch{{ID: "a", Records: []Record{record("http://127.0.0.1/a")}}}}); err != nil {
				t.Fatal(err)
			}
			r := record("http://127.0.0.1/a", Segment{Start: 0, End: 10, Done: 10})
			if err := st.Append([]Change{{Record: &r, ID: "a"}}); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(LogPath(path, 1), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(tail)
			f.Close()

			st2, j := open(t, path)
			if got := j.Fetches[0].Records[0].Segments; len(got) != 1 || got[0].Done != 10 {
				t.Fatalf("segments %v, want the appended change's", got)
			}
			r.Segments = []Segment{{Start: 0, End: 20, Done: 20}}
			if err := st2.Append([]Change{{Record: &r, ID: "a"}}); err != nil {
				t.Fatal(err)
			}
			j, err = Read(path, time.Time{})
			if err != nil || j.Fetches[0].Records[0].Segments[0].Done != 20 {
				t.Errorf("the change appended after the damage was lost: %v %+v", err, j)
			}
		})
	}
}

// TestWrittenMerged: the written file's ranges and boot are read into the
// records they name; a snapshot never holds written ranges.
func TestWrittenMerged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.json")
	st, _ := open(t, path)
	r := record("http://127.0.0.1/a")
	r.Written = []Segment{{Start: 0, End: 99, Done: 99}}
	if err := st.Snapshot(File{Boot: "b", Fetches: []Fetch{{ID: "a", Records: []Record{r, r}}}}); err != nil {
		t.Fatal(err)
	}
	j, err := Read(path, time.Time{})
	if err != nil || j.Boot != "" || j.Fetches[0].Records[0].Written != nil {
		t.Fatalf("a snapshot kept written ranges: %v %+v", err, j)
	}
	w := Written{Boot: "this boot", Records: []WrittenRecord{{ID: "a", Index: 1, Size: 100, Written: []Segment{{Start: 0, End: 40, Done: 40}}}}}
	if err := st.SaveWritten(w); err != nil {
		t.Fatal(err)
	}
	j, err = Read(path, time.Time{})
	if err != nil || j.Boot != "this boot" || j.Fetches[0].Records[0].Written != nil || !reflect.DeepEqual(j.Fetches[0].Records[1].Written, w.Records[0].Written) {
		t.Errorf("written ranges read back as %v %+v", err, j)
	}
	// Ranges of another file than the record's (a new version, whose
	// record the snapshot does not have yet) are not its.
	w.Records[0].Validator = `"v2"`
	if err := st.SaveWritten(w); err != nil {
		t.Fatal(err)
	}
	j, err = Read(path, time.Time{})
	if err != nil || j.Fetches[0].Records[1].Written != nil {
		t.Errorf("written ranges of another version were read into the record: %v %+v", err, j)
	}
}

// TestVersion2Loads: a version 2 journal (the whole journal in one file,
// its written ranges and boot in it) loads as it was.
func TestVersion2Loads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.json")
	v2 := `{"version": 2, "boot": "b", "fetches": [{"id": "x", "state": "queued", "records": [{"request": {"url": "http://127.0.0.1:1/m"},
		"size": 100, "segments": [{"start": 0, "end": 30, "done": 30}], "written": [{"start": 0, "end": 60, "done": 60}], "state": "queued"}]}]}`
	if err := os.WriteFile(path, []byte(v2), 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := Read(path, time.Time{})
	if err != nil || j.Boot != "b" || len(j.Fetches) != 1 {
		t.Fatalf("%v %+v", err, j)
	}
	r := j.Fetches[0].Records[0]
	if !reflect.DeepEqual(r.Segments, []Segment{{0, 30, 30}}) || !reflect.DeepEqual(r.Written, []Segment{{0, 60, 60}}) {
		t.Errorf("segments %v written %v", r.Segments, r.Written)
	}
}

// TestAppendNeedsSnapshot: changes are relative to a snapshot this Store
// wrote; appending before one is refused, not written over a journal.
func TestAppendNeedsSnapshot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.json")
	st, _ := open(t, path)
	if err := st.Append([]Change{{Order: &[]string{}}}); err == nil {
		t.Error("Append before a snapshot succeeded")
	}
}
