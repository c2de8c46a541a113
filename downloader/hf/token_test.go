package hf

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
)

// envOf is a Getenv over a map, so tests leave the process alone.
func envOf(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestDirsFromEnv(t *testing.T) {
	tests := []struct {
		env                    map[string]string
		cache, token, endpoint string
	}{
		{map[string]string{"HOME": "/h"}, "/h/.cache/huggingface/hub", "/h/.cache/huggingface/token", DefaultEndpoint},
		{map[string]string{"HOME": "/h", "XDG_CACHE_HOME": "/x"}, "/x/huggingface/hub", "/x/huggingface/token", DefaultEndpoint},
		{map[string]string{"HOME": "/h", "XDG_CACHE_HOME": "/x", "HF_HOME": "~/hf"}, "/h/hf/hub", "/h/hf/token", DefaultEndpoint},
		{map[string]string{"HOME": "/h", "HF_HOME": "/hf", "HUGGINGFACE_HUB_CACHE": "/old"}, "/old", "/hf/token", DefaultEndpoint},
		{map[string]string{"HOME": "/h", "HF_HOME": "/hf", "HF_HUB_CACHE": "/c", "HUGGINGFACE_HUB_CACHE": "/old", "HF_TOKEN_PATH": "/t/tok"},
			"/c", "/t/tok", DefaultEndpoint},
		{map[string]string{"HOME": "/h", "HF_HOME": " ", "HF_ENDPOINT": "https://mirror.example/"}, "/h/.cache/huggingface/hub",
			"/h/.cache/huggingface/token", "https://mirror.example"},
	}
	for i, tt := range tests {
		g := envOf(tt.env)
		if g.CacheDir() != tt.cache || g.TokenPath() != tt.token || g.Endpoint() != tt.endpoint {
			t.Errorf("%d: cache %s token %s endpoint %s, want %s %s %s", i, g.CacheDir(), g.TokenPath(), g.Endpoint(), tt.cache, tt.token, tt.endpoint)
		}
	}
}

func TestLoadToken(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "hf", "token")
	if err := SaveToken(file, "  hf_file\n"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		env         map[string]string
		value, from string
	}{
		{map[string]string{"HF_TOKEN": "hf_a", "HUGGING_FACE_HUB_TOKEN": "hf_b", "HF_HOME": dir + "/hf"}, "hf_a", "HF_TOKEN"},
		{map[string]string{"HUGGING_FACE_HUB_TOKEN": "hf_b", "HF_HOME": dir + "/hf"}, "hf_b", "HUGGING_FACE_HUB_TOKEN"},
		{map[string]string{"HF_TOKEN": "", "HF_HOME": dir + "/hf"}, "hf_file", file},
		{map[string]string{"HF_TOKEN_PATH": file}, "hf_file", file},
		{map[string]string{"HF_HOME": dir + "/none"}, "", ""},
	}
	for i, tt := range tests {
		tok, err := LoadToken(envOf(tt.env))
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if tok.value != tt.value || tok.From != tt.from {
			t.Errorf("%d: token %q from %q, want %q from %q", i, tok.value, tok.From, tt.value, tt.from)
		}
	}
	if _, err := LoadToken(envOf(map[string]string{"HF_TOKEN_PATH": dir})); err == nil {
		t.Error("a token path that is a folder: got no error")
	}
}

func TestSaveToken(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	for _, v := range []string{"hf_one", "hf_two\n"} {
		if err := SaveToken(file, v); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	if fi.Mode().Perm() != 0o600 || string(data) != "hf_two" {
		t.Errorf("token file %v %q, want 0600 \"hf_two\"", fi.Mode().Perm(), data)
	}
	if entries, _ := os.ReadDir(filepath.Dir(file)); len(entries) != 1 {
		t.Errorf("%d files beside the token, want none (no temporary file left)", len(entries)-1)
	}
	if err := SaveToken(file, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("empty token: file still there (%v)", err)
	}
}

func TestTokenNeverPrinted(t *testing.T) {
	tok := NewToken("hf_secret", "HF_TOKEN")
	c := struct{ T Token }{tok}
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s", c, c, c, tok)} {
		if strings.Contains(s, "hf_secret") {
			t.Errorf("printed %q", s)
		}
	}
}

// TestTransportSendsTokenToTheHubOnly follows redirects from the hub to
// the CDN (another origin), to the hub's host at another port, and to a
// subdomain of the hub's host: only requests to the hub's own scheme, host
// and port carry the token. Host names are dialled to 127.0.0.1.
func TestTransportSendsTokenToTheHubOnly(t *testing.T) {
	got := map[string]string{}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got[r.Host] = r.Header.Get("Authorization")
	}))
	defer other.Close()
	_, otherPort, _ := net.SplitHostPort(other.Listener.Addr().String())
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got[r.Host+r.URL.Path] = r.Header.Get("Authorization")
		if r.URL.Path == "/resolve" {
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
		}
	}))
	defer hub.Close()
	_, hubPort, _ := net.SplitHostPort(hub.Listener.Addr().String())

	base := http.DefaultTransport.(*http.Transport).Clone()
	base.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, _ := net.SplitHostPort(addr)
		return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+port)
	}
	endpoint := "http://hub.test:" + hubPort
	targets := []string{
		"http://cdn.example:" + otherPort + "/file",   // the CDN
		"http://hub.test:" + otherPort + "/file",      // same host, another port
		"http://sub.hub.test:" + otherPort + "/file",  // a subdomain
		"http://sub.hub.test:" + hubPort + "/landing", // a subdomain at the hub's port
	}
	for _, withTransport := range []bool{true, false} {
		clear(got)
		client := &http.Client{Transport: NewTransport(base, endpoint, NewToken("hf_secret", "HF_TOKEN"))}
		if !withTransport { // the fault the transport exists for: Go keeps the header on these redirects
			client = &http.Client{Transport: base}
		}
		for _, to := range targets {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, endpoint+"/resolve?to="+to, nil)
			if !withTransport {
				req.Header.Set("Authorization", "Bearer hf_secret")
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
		}
		if got["hub.test:"+hubPort+"/resolve"] != "Bearer hf_secret" {
			t.Errorf("transport %v: the hub got %q, want the token", withTransport, got["hub.test:"+hubPort+"/resolve"])
		}
		leaked := 0
		for _, host := range []string{"hub.test:" + otherPort, "sub.hub.test:" + otherPort, "sub.hub.test:" + hubPort + "/landing"} {
			if got[host] != "" {
				leaked++
			}
		}
		if got["cdn.example:"+otherPort] != "" {
			t.Errorf("transport %v: the CDN got the token", withTransport)
		}
		if withTransport && leaked > 0 {
			t.Errorf("%d other origins got the token: %v", leaked, got)
		}
		if !withTransport && leaked != 3 {
			t.Errorf("without the transport %d origins got the token, want 3 (Go keeps it there): %v", leaked, got)
		}
	}
}

func TestTransportOnTheFakeHub(t *testing.T) {
	h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithTokens("hf_secret"))
	c := clientFor(t, h, NewToken("hf_secret", "HF_TOKEN"))
	p, err := c.Resolve(t.Context(), mustParse(t, "hf.co/org/Tiny-1B-GGUF:Q4_K_M", Options{}))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.http.Get(p.Files[0].URL) // redirected to the CDN
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	var hub, cdn int
	for _, s := range h.Requests() {
		switch {
		case s.Origin == "hub" && s.Auth == "Bearer hf_secret":
			hub++
		case s.Origin == "cdn" && s.Auth == "":
			cdn++
		default:
			t.Errorf("%s %s got Authorization %q", s.Origin, s.Path, s.Auth)
		}
	}
	if hub < 3 || cdn != 1 {
		t.Errorf("hub requests with the token %d, CDN requests without %d; want ≥3 and 1", hub, cdn)
	}
}

// TestFromEnv: HF_ENDPOINT replaces the Hub everywhere and the token file
// `hf auth login` wrote is used, with no variable set by the test process.
func TestFromEnv(t *testing.T) {
	h := hftest.New(t, hftest.WithRepo(hftest.TinyGGUF()), hftest.WithTokens("hf_file"))
	home := t.TempDir()
	if err := SaveToken(filepath.Join(home, "token"), "hf_file"); err != nil {
		t.Fatal(err)
	}
	c, err := FromEnv(envOf(map[string]string{"HF_ENDPOINT": h.URL() + "/", "HF_HOME": home}), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Endpoint() != h.URL() || c.Token().From != filepath.Join(home, "token") {
		t.Errorf("endpoint %s, %v; want %s and the token file", c.Endpoint(), c.Token(), h.URL())
	}
	p, err := c.Resolve(t.Context(), mustParse(t, "hf.co/org/Tiny-1B-GGUF:Q4_K_M", Options{Endpoint: c.Endpoint()}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Files[0].URL, h.URL()+"/org/") {
		t.Errorf("file url %s is not on HF_ENDPOINT", p.Files[0].URL)
	}
	for _, s := range h.Requests() {
		if s.Auth != "Bearer hf_file" {
			t.Errorf("%s got Authorization %q, want the file's token", s.Path, s.Auth)
		}
	}
	if _, err := FromEnv(envOf(map[string]string{"HF_ENDPOINT": "ftp://mirror"}), Config{}); err == nil {
		t.Error("an ftp endpoint: no error")
	}
}
