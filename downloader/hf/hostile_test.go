package hf

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode"

	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
	"github.com/modelfetch/modelfetch/downloader/origintest"
	"github.com/modelfetch/modelfetch/downloader/words"
	"github.com/modelfetch/modelfetch/downloader/words/wordstest"
)

// The hostile-input suite of the Hub client (issue 17): a compromised or
// broken Hub endpoint, as HF_ENDPOINT may name, answers Resolve and Search.
// Whatever it sends, the client stays bounded in pages, entries, bytes
// and time, refuses a listing that names a path or digest it must not
// use, and says what happened in a sentence that fits.

// hubError is err as an *Error, failing t when it is not one of kind want.
func hubError(t *testing.T, err error, want Kind) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want an *Error of kind %d", err, want)
	}
	if e.Kind != want {
		t.Fatalf("got kind %d (%s), want kind %d", e.Kind, words.Sentence(err), want)
	}
	return e
}

// printable fails t when s holds a character that does not print: what a
// hostile name must never bring to a terminal or a window.
func printable(t *testing.T, s string) {
	t.Helper()
	for _, r := range s {
		if !unicode.IsPrint(r) {
			t.Errorf("%q holds %U, which does not print", s, r)
		}
	}
}

// checkRefused checks that Resolve refused the whole listing as unsafe:
// no plan, and a sentence that says so without advising to try again.
func checkRefused(t *testing.T, p Plan, err error) *Error {
	t.Helper()
	e := hubError(t, err, KindUnsafeListing)
	if p.Commit != "" || len(p.Files) != 0 || p.Tree != nil {
		t.Errorf("a refused listing came with a plan of %d files", len(p.Files))
	}
	s := words.Sentence(err)
	wordstest.IsSentence(t, s, "org/Tiny-1B-GGUF", "refused")
	printable(t, s)
	if strings.Contains(strings.ToLower(s), "try again") {
		t.Errorf("%q advises trying a hostile answer again", s)
	}
	return e
}

// The names a listing is read for: the whole repo, one quantization (the
// bad entry not among its files), one file (asked with paths-info).
var hostileNames = []string{"hf.co/org/Tiny-1B-GGUF:*", "hf.co/org/Tiny-1B-GGUF:Q8_0", "hf://org/Tiny-1B-GGUF/README.md"}

func TestListedPathsArePlain(t *testing.T) {
	bad := []struct{ name, listed string }{
		{"parent", "../../.bashrc"},
		{"parent inside", "docs/../../README.md"},
		{"parent alone", ".."},
		{"dot", "./README.md"},
		{"newline", "x\n/etc/passwd"},
		{"carriage return", "README\r.md"},
		{"tab", "READ\tME.md"},
		{"NUL", "README.md\x00.gguf"},
		{"DEL", "README\x7f.md"},
		{"escape", "\x1b[2JREADME.md"},
		{"right-to-left override", "README\u202edm.exe"},
		{"absolute", "/etc/passwd"},
		{"drive", "C:x"},
		{"drive root", "c:/Windows/README.md"},
		{"UNC", `\\server\share\README.md`},
		{"backslash", `docs\README.md`},
		{"empty part", "docs//README.md"},
		{"trailing slash", "docs/"},
		{"empty", ""},
		{"part too long", strings.Repeat("a", 256) + ".md"},
		{"path too long", strings.Repeat("abcdefgh/", 500) + "README.md"},
	}
	for _, tt := range bad {
		h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithPageSize(4), hftest.WithListedAs("README.md", tt.listed))
		for _, name := range hostileNames {
			t.Run(tt.name+" "+name, func(t *testing.T) {
				p, err := clientFor(t, h, Token{}).Resolve(t.Context(), mustParse(t, name, Options{}))
				checkRefused(t, p, err)
			})
		}
	}
	t.Run("a folder", func(t *testing.T) {
		h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithListedAs("Tiny-1B-F16", "../Tiny-1B-F16"))
		p, err := clientFor(t, h, Token{}).Resolve(t.Context(), mustParse(t, "hf.co/org/Tiny-1B-GGUF:Q8_0", Options{}))
		checkRefused(t, p, err)
	})
}

func TestUnusualPathsStillPlain(t *testing.T) {
	for _, listed := range []string{"docs/read me (v2).md", "模型/说明.md", "Ünïcode-名前 Q4_K_M.gguf", ".hidden/a.md", "a..b/c...md", "v1.0/model.gguf"} {
		h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithListedAs("README.md", listed))
		p, err := clientFor(t, h, Token{}).Resolve(t.Context(), mustParse(t, "hf.co/org/Tiny-1B-GGUF:*", Options{}))
		if err != nil {
			t.Errorf("%q: %v (%s)", listed, err, words.Sentence(err))
			continue
		}
		if !containsPath(p, listed) {
			t.Errorf("%q is not among the plan's files %q", listed, paths(p))
		}
	}
}

func containsPath(p Plan, want string) bool {
	for _, f := range p.Files {
		if f.Path == want {
			return true
		}
	}
	return false
}

func TestListedDigestsAndSizes(t *testing.T) {
	hex64 := strings.Repeat("ab", 32)
	const lfs, git = "Tiny-1B-Q8_0.gguf", "README.md"
	bad := []struct {
		name, path string
		opt        hftest.Option
	}{
		{"sha256 that climbs", lfs, hftest.WithListedDigest(lfs, "../../../../.bashrc")},
		{"sha256 of 63 digits", lfs, hftest.WithListedDigest(lfs, hex64[:63])},
		{"sha256 of 65 digits", lfs, hftest.WithListedDigest(lfs, hex64+"a")},
		{"sha256 not hex", lfs, hftest.WithListedDigest(lfs, strings.Repeat("g", 64))},
		{"sha256 empty", lfs, hftest.WithListedDigest(lfs, "")},
		{"git oid that climbs", git, hftest.WithListedDigest(git, "../blobs/"+hex64[:31])},
		{"git oid of 39 digits", git, hftest.WithListedDigest(git, hex64[:39])},
		{"git oid of 64 digits", git, hftest.WithListedDigest(git, hex64)},
		{"git oid with a newline", git, hftest.WithListedDigest(git, hex64[:39]+"\n")},
		{"negative size", git, hftest.WithListedSize(git, -1)},
		{"negative LFS size", lfs, hftest.WithListedSize(lfs, -5)},
		{"size past any file", lfs, hftest.WithListedSize(lfs, 1<<50)},
	}
	for _, tt := range bad {
		h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), tt.opt)
		// The whole repo, a quantization without the file, the file alone.
		for _, name := range []string{"hf.co/org/Tiny-1B-GGUF:*", "hf.co/org/Tiny-1B-GGUF:IQ2_XS", "hf://org/Tiny-1B-GGUF/" + tt.path} {
			t.Run(tt.name+" "+name, func(t *testing.T) {
				p, err := clientFor(t, h, Token{}).Resolve(t.Context(), mustParse(t, name, Options{}))
				checkRefused(t, p, err)
			})
		}
	}
}

func TestUpperCaseDigestsNormalised(t *testing.T) {
	repo := hftest.TinyGGUF()
	h := hftest.New(t, hftest.WithRepo(repo), hftest.WithUpperCaseDigests())
	p, err := clientFor(t, h, Token{}).Resolve(t.Context(), mustParse(t, "hf.co/org/Tiny-1B-GGUF:*", Options{}))
	if err != nil {
		t.Fatal(err)
	}
	cache := Cache{Dir: t.TempDir()}
	for i, src := range repo.Commits[hftest.CommitMain] {
		want := origintest.GitBlobID(src.Data)
		if src.LFS {
			want = hftest.SHA256Hex(src.Data)
		}
		if f := p.Files[i]; f.Blob != want || !strings.HasSuffix(cache.BlobPath(p, f), want) {
			t.Errorf("%s: blob %s at %s, want %s in lower case", f.Path, f.Blob, cache.BlobPath(p, f), want)
		}
	}
	for _, tf := range p.Tree {
		if tf.BlobID != strings.ToLower(tf.BlobID) || tf.LFSSHA256 != strings.ToLower(tf.LFSSHA256) {
			t.Errorf("tree entry %s keeps an upper-case digest: %s %s", tf.Path, tf.BlobID, tf.LFSSHA256)
		}
	}
}

// treePages is how many tree pages h was asked for.
func treePages(h *hftest.Hub) int {
	n := 0
	for _, s := range h.Requests() {
		if strings.Contains(s.Path, "/tree/") {
			n++
		}
	}
	return n
}

func TestEndlessPagingStops(t *testing.T) {
	h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithPageSize(1), hftest.WithEndlessPaging())
	c, err := New(Config{Endpoint: h.URL(), Limits: Limits{Pages: 40}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Resolve(t.Context(), mustParse(t, "hf.co/org/Tiny-1B-GGUF:Q8_0", Options{}))
	e := hubError(t, err, KindLimit)
	if e.Bound != BoundPages || e.Max != 40 || len(p.Files) != 0 {
		t.Errorf("bound %d past %d with %d files, want the pages bound, 40, no plan", e.Bound, e.Max, len(p.Files))
	}
	if got := treePages(h); got != 40 {
		t.Errorf("asked for %d pages, want 40", got)
	}
	wordstest.IsSentence(t, words.Sentence(err), "org/Tiny-1B-GGUF", "40 pages")
}

func TestNextPageStaysOnTheEndpoint(t *testing.T) {
	// hf-mirror.com's rel="next" links name huggingface.co: the pages must
	// still come from the endpoint in use, and nothing else be asked.
	elsewhere := origintest.ClosedURL(t)
	h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithPageSize(2), hftest.WithForeignNextPage(elsewhere))
	p, err := clientFor(t, h, Token{}).Resolve(t.Context(), mustParse(t, "hf.co/org/Tiny-1B-GGUF:*", Options{}))
	if err != nil {
		t.Fatalf("%v (%s)", err, words.Sentence(err))
	}
	if len(p.Files) != 9 || treePages(h) != 5 {
		t.Errorf("%d files from %d pages, want 9 from 5", len(p.Files), treePages(h))
	}
}

func TestManyFilesListed(t *testing.T) {
	const n = 100_000
	h := hftest.New(t, hftest.WithManyFiles("org/many", n))
	start := time.Now()
	p, err := clientFor(t, h, Token{}).Resolve(t.Context(), mustParse(t, "hf.co/org/many", Options{}))
	if err != nil {
		t.Fatalf("%v (%s)", err, words.Sentence(err))
	}
	t.Logf("%d files planned in %v from %d pages", len(p.Files), time.Since(start), treePages(h))
	if len(p.Files) != n || len(p.Tree) != n || p.Total() != manyTotal(n) {
		t.Fatalf("%d files, %d in the tree, %d bytes; want %d files of %d bytes", len(p.Files), len(p.Tree), p.Total(), n, manyTotal(n))
	}
	for _, i := range []int{0, n / 2, n - 1} {
		want := hftest.ManyFile(i)
		if f := p.Files[i]; f.Path != want.Path || f.Blob != origintest.GitBlobID(want.Data) || f.Size != int64(len(want.Data)) {
			t.Errorf("file %d = %s %s %d, want %s", i, f.Path, f.Blob, f.Size, want.Path)
		}
	}
	if got := treePages(h); got != n/1000+1 {
		t.Errorf("%d pages, want %d", got, n/1000+1)
	}
}

func manyTotal(n int) int64 {
	var total int64
	for i := range n {
		total += int64(len(hftest.ManyFile(i).Data))
	}
	return total
}

func TestHugeListingRefused(t *testing.T) {
	h := hftest.New(t, hftest.WithManyFiles("org/huge", 10_000_000))
	c, err := New(Config{Endpoint: h.URL(), Limits: Limits{Entries: 20_000}})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"hf.co/org/huge", "hf://org/huge/data"} {
		p, err := c.Resolve(t.Context(), mustParse(t, name, Options{}))
		e := hubError(t, err, KindLimit)
		if e.Bound != BoundEntries || e.Max != 20_000 || len(p.Files) != 0 {
			t.Errorf("%s: bound %d past %d with %d files, want the entries bound, 20000, no plan", name, e.Bound, e.Max, len(p.Files))
		}
		wordstest.IsSentence(t, words.Sentence(err), "org/huge", "20,000 files")
	}
	if got := treePages(h); got > 2*21 {
		t.Errorf("asked for %d pages of 1000 entries: the listing was read past its bound", got)
	}
}

// hugeAnswers are the answers WithHugeAnswers pads and the names that
// ask for them.
var hugeAnswers = []struct{ route, name string }{
	{"revision", "hf.co/org/Tiny-1B-GGUF:Q8_0"},
	{"tree", "hf.co/org/Tiny-1B-GGUF:Q8_0"},
	{"paths-info", "hf://org/Tiny-1B-GGUF/README.md"},
	{"search", ""},
}

// ask resolves name with c, or searches when name is "".
func ask(ctx context.Context, t *testing.T, c *Client, name string) error {
	if name == "" {
		_, err := c.Search(ctx, Search{Query: "tiny"})
		return err
	}
	_, err := c.Resolve(ctx, mustParse(t, name, Options{}))
	return err
}

func TestHugeAnswersRefused(t *testing.T) {
	const limit = 256 << 10
	big := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithHugeAnswers(limit+1))
	fits := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithHugeAnswers(limit-4096))
	for _, tt := range hugeAnswers {
		t.Run(tt.route, func(t *testing.T) {
			c, err := New(Config{Endpoint: big.URL(), Limits: Limits{Bytes: limit}})
			if err != nil {
				t.Fatal(err)
			}
			err = ask(t.Context(), t, c, tt.name)
			if e := hubError(t, err, KindLimit); e.Bound != BoundBytes || e.Max != limit {
				t.Errorf("bound %d past %d, want the bytes bound, %d", e.Bound, e.Max, limit)
			}
			s := words.Sentence(err)
			wordstest.IsSentence(t, s, "256 KiB")
			if strings.Contains(strings.ToLower(s), "try again") {
				t.Errorf("%q advises trying a broken answer again", s)
			}
			c, _ = New(Config{Endpoint: fits.URL(), Limits: Limits{Bytes: limit}})
			if err := ask(t.Context(), t, c, tt.name); err != nil {
				t.Errorf("an answer within the bound: %v", err)
			}
		})
	}
}

// endless are the answers WithEndlessBody makes endless: from which one
// on, and the name that asks for them (page size 2: the tree's third
// page is read after two whole pages).
var endless = []struct {
	route string
	from  int
	name  string
}{
	{"revision", 0, "hf.co/org/Tiny-1B-GGUF:Q8_0"},
	{"tree", 0, "hf.co/org/Tiny-1B-GGUF:Q8_0"},
	{"tree", 2, "hf.co/org/Tiny-1B-GGUF:Q8_0"},
	{"paths-info", 0, "hf://org/Tiny-1B-GGUF/README.md"},
	{"search", 0, ""},
}

func TestSlowAnswersBounded(t *testing.T) {
	for _, tt := range endless {
		h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithModels(map[string]any{"id": "org/Tiny-1B-GGUF"}),
			hftest.WithPageSize(2), hftest.WithEndlessBody(tt.route, tt.from))
		for _, b := range []struct {
			name string
			cfg  Config
			want time.Duration
		}{
			{"one answer", Config{}, 30 * time.Second},
			{"all answers", Config{Timeout: time.Hour}, 10 * time.Minute},
			{"set bounds", Config{Timeout: 2 * time.Minute, Limits: Limits{Time: 90 * time.Second}}, 90 * time.Second},
		} {
			t.Run(tt.route+" "+b.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					b.cfg.Endpoint, b.cfg.Transport = h.URL(), h.Transport()
					c, err := New(b.cfg)
					if err != nil {
						t.Fatal(err)
					}
					start := time.Now()
					err = ask(t.Context(), t, c, tt.name)
					took := time.Since(start)
					if e := hubError(t, err, KindLimit); e.Bound != BoundTime || time.Duration(e.Max) != b.want {
						t.Errorf("bound %d past %v, want the time bound, %v", e.Bound, time.Duration(e.Max), b.want)
					}
					if took < b.want || took > b.want+time.Second {
						t.Errorf("stopped after %v, want %v", took, b.want)
					}
					wordstest.IsSentence(t, words.Sentence(err), "Try again later")
				})
			})
		}
	}
}

// ignoreCancel is a transport that takes no notice of a request's
// context, as a careless wrapper might: only the client's own closing of
// the body can stop a read then.
func ignoreCancel(base http.RoundTripper) http.RoundTripper {
	return roundTrip(func(req *http.Request) (*http.Response, error) {
		return base.RoundTrip(req.WithContext(context.WithoutCancel(req.Context())))
	})
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func TestStopsSoonAfterCtxEnds(t *testing.T) {
	for _, tt := range endless {
		for _, tr := range []struct {
			name string
			rt   http.RoundTripper
		}{{"", nil}, {" careless transport", ignoreCancel(http.DefaultTransport)}} {
			t.Run(tt.route+tr.name, func(t *testing.T) {
				h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithModels(map[string]any{"id": "org/Tiny-1B-GGUF"}),
					hftest.WithPageSize(2), hftest.WithEndlessBody(tt.route, tt.from))
				c, err := New(Config{Endpoint: h.URL(), Transport: tr.rt})
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error, 1)
				go func() { done <- ask(ctx, t, c, tt.name) }()
				select {
				case <-h.Trickling():
				case err := <-done:
					t.Fatalf("ended before the endless answer began: %v", err)
				}
				cancel()
				ended := time.Now()
				select {
				case err = <-done:
				case <-time.After(10 * time.Second):
					t.Fatal("still reading 10 s after the context ended")
				}
				if took := time.Since(ended); took > time.Second {
					t.Errorf("stopped %v after the context ended, want within a second", took)
				}
				t.Logf("stopped %v after the context ended", time.Since(ended))
				var e *Error
				if !errors.Is(err, context.Canceled) || errors.As(err, &e) {
					t.Errorf("got %v, want the context's own error, not the Hub's", err)
				}
			})
		}
	}
}

func TestSearchBounded(t *testing.T) {
	var models []map[string]any
	for i := range 50 {
		models = append(models, map[string]any{"id": "org/Tiny-" + strconv.Itoa(i)})
	}
	h := hftest.New(t, hftest.WithModels(models...))
	got, err := clientFor(t, h, Token{}).Search(t.Context(), Search{Query: "tiny", Limit: 10})
	if err != nil || len(got) != 10 {
		t.Errorf("%d models, %v; want the 10 asked for of the 50 sent", len(got), err)
	}
	h = hftest.New(t, hftest.WithModels(map[string]any{"id": "org/Tiny"}, map[string]any{"id": "org/Tiny\n/etc/passwd"}))
	_, err = clientFor(t, h, Token{}).Search(t.Context(), Search{Query: "tiny"})
	hubError(t, err, KindUnsafeListing)
	printable(t, words.Sentence(err))
	wordstest.IsSentence(t, words.Sentence(err), "refused")
}

func TestErrorSentences(t *testing.T) {
	full := func(k Kind) *Error {
		return &Error{Kind: k, Repo: "org/r", Type: TypeModel, Revision: "main", Path: "a\nb.gguf", Quant: "Q4_K_M",
			Page: "https://huggingface.co/org/r", Status: 500, Code: "X", Message: "it names no commit",
			TokenFrom: "HF_TOKEN", Quants: []string{"Q8_0"}, Err: errors.New("unexpected EOF")}
	}
	for k := KindBadName; k <= KindLimit; k++ {
		for _, endpoint := range []string{"", "127.0.0.1:8080"} {
			for _, repo := range []string{"org/r", ""} {
				e := full(k)
				e.Repo, e.Endpoint = repo, endpoint
				s := e.Sentence()
				wordstest.IsSentence(t, s)
				printable(t, s)
				if strings.Contains(s, "kind ") || strings.Contains(s, "about .") {
					t.Errorf("kind %d: %q", k, s)
				}
			}
		}
	}
	for b := BoundPages; b <= BoundTime; b++ {
		e := &Error{Kind: KindLimit, Repo: "org/r", Type: TypeDataset, Bound: b, Max: 12345}
		if b == BoundTime {
			e.Max = int64(90 * time.Second)
		}
		wordstest.IsSentence(t, e.Sentence(), "org/r")
	}
	tryAgain := map[Kind]bool{KindOffline: true, KindStatus: true}
	for k := range tryAgain {
		if s := full(k).Sentence(); !strings.Contains(s, "again") {
			t.Errorf("kind %d: %q does not say it may work again", k, s)
		}
	}
	for _, k := range []Kind{KindBadAnswer, KindUnsafeListing} {
		if s := full(k).Sentence(); strings.Contains(strings.ToLower(s), "try again") {
			t.Errorf("kind %d: %q advises trying a broken answer again", k, s)
		}
	}
	notFound := full(KindStatus)
	notFound.Status = http.StatusBadRequest
	if s := notFound.Sentence(); strings.Contains(strings.ToLower(s), "try again") {
		t.Errorf("400: %q advises trying the same request again", s)
	}
}
