package hf

import (
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/modelfetch/modelfetch/downloader/words"

	"time"

	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

func paths(p Plan) []string {
	out := make([]string, len(p.Files))
	for i, f := range p.Files {
		out[i] = f.Path
	}
	return out
}

func mustParse(t *testing.T, name string, o Options) Ref {
	t.Helper()
	r, err := Parse(name, o)
	if err != nil {
		t.Fatalf("Parse(%q): %v", name, err)
	}
	return r
}

func TestResolveWholeRepoPaged(t *testing.T) {
	repo := hftest.TinyGGUF()
	h := hftest.New(t, hftest.WithRepo(repo), hftest.WithPageSize(2))
	c := clientFor(t, h, Token{})
	p, err := c.Resolve(t.Context(), mustParse(t, "hf.co/org/Tiny-1B-GGUF:*", Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if p.Commit != hftest.CommitMain || p.Revision != "main" || p.Repo != "org/Tiny-1B-GGUF" || p.Type != TypeModel {
		t.Errorf("plan = %s %s@%s (%s), want the main commit", p.Type, p.Repo, p.Revision, p.Commit)
	}
	var want []string
	var total int64
	for _, f := range repo.Commits[hftest.CommitMain] {
		want = append(want, f.Path)
		total += int64(len(f.Data))
	}
	if got := paths(p); !slices.Equal(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
	if p.Total() != total {
		t.Errorf("total = %d, want %d", p.Total(), total)
	}
	pages := 0
	for _, s := range h.Requests() {
		if strings.Contains(s.Path, "/tree/") {
			pages++
			if !strings.Contains(s.Path, "/tree/"+hftest.CommitMain) {
				t.Errorf("tree listed at %s, want the pinned commit", s.Path)
			}
		}
	}
	// 9 files and 1 folder, 2 a page.
	if pages != 5 {
		t.Errorf("tree pages fetched = %d, want 5", pages)
	}
}

func TestResolveFilesCarryDigestsAndURLs(t *testing.T) {
	repo := hftest.TinyGGUF()
	h := hftest.New(t, hftest.WithRepo(repo))
	p, err := clientFor(t, h, Token{}).Resolve(t.Context(), mustParse(t, "hf.co/org/Tiny-1B-GGUF:*", Options{}))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range p.Files {
		src := repo.Commits[hftest.CommitMain][i]
		wantBlob, wantDigest := origintest.GitBlobID(src.Data), DigestGitSHA1
		if src.LFS {
			wantBlob, wantDigest = hftest.SHA256Hex(src.Data), DigestSHA256
		}
		if f.Blob != wantBlob || f.Digest != wantDigest || f.Size != int64(len(src.Data)) {
			t.Errorf("%s: blob %s %s size %d, want %s %s %d", f.Path, f.Digest, f.Blob, f.Size, wantDigest, wantBlob, len(src.Data))
		}
		if want := h.URL() + "/org/Tiny-1B-GGUF/resolve/" + hftest.CommitMain + "/" + src.Path; f.URL != want {
			t.Errorf("url = %s, want %s", f.URL, want)
		}
		// The digest the plan names is the one the bytes have.
		hh := f.NewHash()
		hh.Write(src.Data)
		if got := hex.EncodeToString(hh.Sum(nil)); got != f.Blob {
			t.Errorf("%s: NewHash over the bytes = %s, want %s", f.Path, got, f.Blob)
		}
	}
}

func TestGitBlobHash(t *testing.T) {
	// `printf 'hello\n' | git hash-object --stdin` and the empty blob.
	for data, want := range map[string]string{"hello\n": "ce013625030ba8dba906f756967f9e9ca394464a", "": "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"} {
		h := File{Size: int64(len(data)), Digest: DigestGitSHA1}.NewHash()
		h.Write([]byte(data))
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("git blob id of %q = %s, want %s", data, got, want)
		}
	}
}

func TestResolvePicks(t *testing.T) {
	h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithPageSize(3))
	c := clientFor(t, h, Token{})
	tests := []struct {
		name string
		o    Options
		want []string
	}{
		{"hf.co/org/Tiny-1B-GGUF:Q4_K_M", Options{}, []string{"Tiny-1B-Q4_K_M.gguf"}},
		{"hf.co/org/Tiny-1B-GGUF:iq2_xs", Options{}, []string{"Tiny-1B-IQ2_XS.gguf"}},
		{"hf.co/org/Tiny-1B-GGUF:F16", Options{}, []string{ // split parts; the projector is no quant
			"Tiny-1B-F16/Tiny-1B-F16-00001-of-00003.gguf",
			"Tiny-1B-F16/Tiny-1B-F16-00002-of-00003.gguf",
			"Tiny-1B-F16/Tiny-1B-F16-00003-of-00003.gguf"}},
		{"hf.co/org/Tiny-1B-GGUF", Options{Include: []string{"*.md", "*Q8_0*"}}, []string{"README.md", "Tiny-1B-Q8_0.gguf"}},
		{"hf.co/org/Tiny-1B-GGUF", Options{Exclude: []string{"*.gguf", ".*"}}, []string{"README.md"}},
		{"hf.co/org/Tiny-1B-GGUF", Options{Include: []string{"Tiny-1B-F16/"}, Exclude: []string{"*00002*"}}, []string{
			"Tiny-1B-F16/Tiny-1B-F16-00001-of-00003.gguf", "Tiny-1B-F16/Tiny-1B-F16-00003-of-00003.gguf"}},
		{"https://huggingface.co/org/Tiny-1B-GGUF/blob/main/README.md", Options{}, []string{"README.md"}},
		{"hf://org/Tiny-1B-GGUF/Tiny-1B-F16", Options{}, []string{
			"Tiny-1B-F16/Tiny-1B-F16-00001-of-00003.gguf",
			"Tiny-1B-F16/Tiny-1B-F16-00002-of-00003.gguf",
			"Tiny-1B-F16/Tiny-1B-F16-00003-of-00003.gguf"}},
		{"hf://org/Tiny-1B-GGUF@v1", Options{}, []string{".gitattributes", "README.md", "Tiny-1B-Q4_K_M.gguf"}},
		{"hf.co/org/Tiny-1B-GGUF", Options{Revision: "refs/pr/1", Include: []string{"README.md"}}, []string{"README.md"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.Resolve(t.Context(), mustParse(t, tt.name, tt.o))
			if err != nil {
				t.Fatalf("Resolve: %v (%s)", err, words.Sentence(err))
			}
			if got := paths(p); !slices.Equal(got, tt.want) {
				t.Errorf("files = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestResolvePinnedRevision(t *testing.T) {
	h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()))
	c := clientFor(t, h, Token{})
	p, err := c.Resolve(t.Context(), mustParse(t, "hf://org/Tiny-1B-GGUF@v1/README.md", Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if p.Commit != hftest.CommitV1 || p.Revision != "v1" || p.Files[0].Blob != origintest.GitBlobID([]byte("# Tiny v1\n")) {
		t.Errorf("plan = %s@%s, README blob %s; want v1's commit and README", p.Revision, p.Commit, p.Files[0].Blob)
	}
	if !strings.Contains(p.Files[0].URL, "/resolve/"+hftest.CommitV1+"/") {
		t.Errorf("url %s does not name the commit", p.Files[0].URL)
	}
	for _, s := range h.Requests() {
		if strings.Contains(s.Path, "paths-info") && !strings.HasSuffix(s.Path, "/paths-info/"+hftest.CommitV1) {
			t.Errorf("paths-info asked at %s, want the pinned commit", s.Path)
		}
	}
}

func TestResolveDataset(t *testing.T) {
	ds := &hftest.Repo{ID: "org/data", Type: "dataset", Refs: map[string]string{"main": hftest.CommitMain},
		Commits: map[string][]hftest.File{hftest.CommitMain: {{Path: "train/part-0.parquet", Data: []byte("rows"), LFS: true}}}}
	h := hftest.New(t, hftest.WithRepo(ds))
	p, err := clientFor(t, h, Token{}).Resolve(t.Context(), mustParse(t, "hf://datasets/org/data", Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if want := h.URL() + "/datasets/org/data/resolve/" + hftest.CommitMain + "/train/part-0.parquet"; p.Type != TypeDataset || p.Files[0].URL != want {
		t.Errorf("plan %s, url %s; want a dataset at %s", p.Type, p.Files[0].URL, want)
	}
	// A model of the same name does not exist.
	_, err = clientFor(t, h, Token{}).Resolve(t.Context(), mustParse(t, "hf://org/data", Options{}))
	if kindOfErr(err) != KindRepoNotFound {
		t.Errorf("model org/data: got %v, want KindRepoNotFound", err)
	}
}

func kindOfErr(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

func TestResolveErrors(t *testing.T) {
	gatedRepo := hftest.TinyGGUF()
	gatedRepo.ID, gatedRepo.Gated, gatedRepo.Readers = "org/Gated", true, []string{"reader"}
	private := hftest.TinyGGUF()
	private.ID, private.Private, private.Readers = "org/Private", true, []string{"reader"}
	h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithRepo(gatedRepo), hftest.WithRepo(private), hftest.WithTokens("reader", "other"))
	none, other := Token{}, NewToken("other", "HF_TOKEN")
	tests := []struct {
		name     string
		tok      Token
		want     Kind
		status   int
		sentence string // a part the sentence must have
	}{
		{"hf.co/org/Missing", none, KindRepoNotFound, 401, "org/Missing was not found"},
		{"hf.co/org/Missing", other, KindRepoNotFound, 404, "token from HF_TOKEN"},
		{"hf.co/org/Private", none, KindRepoNotFound, 401, "If it is private, log in"},
		{"hf://org/Tiny-1B-GGUF@nope", none, KindRevisionNotFound, 404, `"nope"`},
		{"hf://org/Tiny-1B-GGUF/nope.gguf", none, KindFileNotFound, 0, `"nope.gguf"`},
		{"hf.co/org/Tiny-1B-GGUF:Q5_K_M", none, KindQuantNotFound, 0, "It has: F16, IQ2_XS, Q4_K_M, Q8_0."},
		{"hf://org/Tiny-1B-GGUF/*.safetensors", none, KindNoMatch, 0, "include and exclude"},
		{"hf.co/org/Gated:Q4_K_M", none, KindGatedLogin, 401, "log in"},
		{"hf.co/org/Gated:Q4_K_M", other, KindGatedAccess, 403, "request access at " + h.URL() + "/org/Gated"},
		{"hf.co/org/Tiny-1B-GGUF", NewToken("stale", "HF_TOKEN"), KindTokenRefused, 401, "token from HF_TOKEN"},
		{"hf.co/org/Tiny-1B-GGUF", NewToken("stale", "/home/me/.cache/huggingface/token"), KindTokenRefused, 401, "/home/me/.cache/huggingface/token"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+tt.tok.String(), func(t *testing.T) {
			checkResolveError(t, clientFor(t, h, tt.tok), tt.name, tt.want, tt.status, tt.sentence)
		})
	}
	t.Run("reader of the gated repo", func(t *testing.T) {
		p, err := clientFor(t, h, NewToken("reader", "HF_TOKEN")).Resolve(t.Context(), mustParse(t, "hf.co/org/Gated:Q8_0", Options{}))
		if err != nil || !p.Gated || len(p.Files) != 1 {
			t.Errorf("Resolve = %+v, %v; want the gated plan", p, err)
		}
	})
	t.Run("offline", func(t *testing.T) {
		c, err := New(Config{Endpoint: origintest.ClosedURL(t), Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Resolve(t.Context(), mustParse(t, "hf.co/org/Tiny-1B-GGUF", Options{}))
		if kindOfErr(err) != KindOffline || !strings.Contains(words.Sentence(err), "cannot be reached") {
			t.Errorf("got %v (%q), want KindOffline", err, words.Sentence(err))
		}
	})
}

func TestResponseErrorNoCode(t *testing.T) {
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	resp := &http.Response{StatusCode: 500, Header: http.Header{}}
	err = c.ResponseError(resp, Ref{Repo: "org/r"})
	if kindOfErr(err) != KindStatus || !strings.Contains(words.Sentence(err), "500 Internal Server Error") {
		t.Errorf("got %v (%q), want KindStatus", err, words.Sentence(err))
	}
	if err := c.ResponseError(&http.Response{StatusCode: 302}, Ref{}); err != nil {
		t.Errorf("a redirect is an error: %v", err)
	}
}

func TestSearch(t *testing.T) {
	h := hftest.New(t, hftest.WithModels(
		map[string]any{"id": "org/Tiny-1B-GGUF", "downloads": 1200, "likes": 7, "lastModified": "2025-03-01T10:00:00.000Z", "gated": false},
		map[string]any{"id": "org/Gated-GGUF", "downloads": 90, "likes": 3, "lastModified": "2025-01-02T00:00:00.000Z", "gated": "manual"},
		map[string]any{"id": "other/thing", "downloads": 5},
	))
	models, err := clientFor(t, h, Token{}).Search(t.Context(), Search{Query: "gguf", GGUF: true, Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(models) != 2 || models[0].ID != "org/Tiny-1B-GGUF" || models[0].Downloads != 1200 || models[0].Likes != 7 ||
		models[0].Gated || !models[1].Gated || models[0].LastModified.Year() != 2025 {
		t.Errorf("models = %+v", models)
	}
	q := h.Requests()[0].Query
	for _, part := range []string{"search=gguf", "sort=downloads", "direction=-1", "limit=20", "filter=gguf",
		"expand=downloads", "expand=likes", "expand=lastModified", "expand=gated"} {
		if !strings.Contains(q, part) {
			t.Errorf("query %q lacks %q", q, part)
		}
	}
}

func TestGroups(t *testing.T) {
	h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()))
	p, err := clientFor(t, h, Token{}).Resolve(t.Context(), mustParse(t, "hf.co/org/Tiny-1B-GGUF:*", Options{}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range p.Groups() {
		got = append(got, g.Quant)
	}
	if want := []string{"Q4_K_M", "Q8_0", "IQ2_XS", "F16", ""}; !slices.Equal(got, want) {
		t.Errorf("groups = %q, want %q", got, want)
	}
	if f16 := p.Groups()[3]; len(f16.Files) != 3 || f16.Size != 210 {
		t.Errorf("F16 group = %d files, %d bytes; want 3 files, 210 bytes", len(f16.Files), f16.Size)
	}
}

// clientFor is a Client of the fake hub h with tok as its token.
func clientFor(t *testing.T, h *hftest.Hub, tok Token) *Client {
	t.Helper()
	c, err := New(Config{Endpoint: h.URL(), Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkResolveError resolves name and checks the error's kind, status and
// sentence, and that a gated error comes with the plan.
func checkResolveError(t *testing.T, c *Client, name string, want Kind, status int, sentence string) {
	t.Helper()
	p, err := c.Resolve(t.Context(), mustParse(t, name, Options{}))
	if gated := want == KindGatedLogin || want == KindGatedAccess; gated != (len(p.Files) == 1) {
		t.Errorf("%d files with the error, want the plan only with a gated error", len(p.Files))
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Resolve: %v, want an *Error", err)
	}
	if e.Kind != want || e.Status != status {
		t.Errorf("kind %d status %d, want kind %d status %d", e.Kind, e.Status, want, status)
	}
	s := words.Sentence(err)
	if !strings.Contains(s, sentence) {
		t.Errorf("sentence %q lacks %q", s, sentence)
	}
	if s == "" || !unicode.IsUpper(rune(s[0])) || !strings.HasSuffix(s, ".") {
		t.Errorf("sentence %q does not start with a capital and end with a period", s)
	}
	if strings.Contains(s, "stale") || strings.Contains(s, "kind ") {
		t.Errorf("sentence %q shows a token or Go error text", s)
	}
}

func TestPlanTitle(t *testing.T) {
	p := Plan{Repo: "org/Tiny-1B-GGUF"}
	q4 := File{Path: "a-Q4_K_M.gguf", Quant: "Q4_K_M"}
	f16 := File{Path: "F16/a-F16-00001-of-00002.gguf", Quant: "F16"}
	readme := File{Path: "README.md"}
	tests := []struct {
		files []File
		want  string
	}{
		{[]File{q4}, "Tiny-1B-GGUF Q4_K_M"},
		{[]File{f16, f16}, "Tiny-1B-GGUF F16"},
		{[]File{q4, f16}, "Tiny-1B-GGUF"},
		{[]File{readme}, "Tiny-1B-GGUF README.md"},
		{[]File{q4, readme}, "Tiny-1B-GGUF"},
		{nil, "Tiny-1B-GGUF"},
	}
	for _, tt := range tests {
		if got := p.Title(tt.files); got != tt.want {
			t.Errorf("Title(%d files) = %q, want %q", len(tt.files), got, tt.want)
		}
	}
}
