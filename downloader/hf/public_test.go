package hf_test

import (
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/hf/hftest"
)

// TestPublicTransport: a refused token does not stop a public repo's
// file, and OnRefused says so; a gated repo's file is still refused, as
// is every file with no fallback.
func TestPublicTransport(t *testing.T) {
	tiny, gated := hftest.TinyGGUF(), hftest.TinyGGUF()
	gated.ID, gated.Gated = "lab/Gated-GGUF", true
	hub := hftest.Start(hftest.WithRepo(tiny), hftest.WithRepo(gated), hftest.WithTokens("hf_good"))
	t.Cleanup(hub.Close)
	engine := hf.NewEngineTransport(hf.Getenv(func(k string) string {
		return map[string]string{"HF_TOKEN": "hf_expired", "HF_ENDPOINT": hub.URL()}[k]
	}))
	public := engine.Public()
	var refused []hf.Token
	public.OnRefused(func(tok hf.Token) { refused = append(refused, tok) })
	client := &http.Client{Transport: public.Wrap(http.DefaultTransport)}
	get := func(repo string) int {
		t.Helper()
		resp, err := client.Get(hub.URL() + "/" + repo + "/resolve/" + hftest.CommitMain + "/Tiny-1B-Q4_K_M.gguf")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	if got := get(tiny.ID); got != http.StatusOK {
		t.Fatalf("got %d for a public file with a refused token, want 200", got)
	}
	if len(refused) != 1 || refused[0].From != "HF_TOKEN" {
		t.Errorf("got refusals %v, want one of the token from HF_TOKEN", refused)
	}
	if got := get(gated.ID); got != http.StatusUnauthorized {
		t.Errorf("got %d for a gated file with a refused token, want the refusal", got)
	}
	plain := &http.Client{Transport: engine.Wrap(http.DefaultTransport)}
	resp, err := plain.Get(hub.URL() + "/" + tiny.ID + "/resolve/" + hftest.CommitMain + "/Tiny-1B-Q4_K_M.gguf")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("got %d without the fallback, want the refusal (the test's Hub refuses the token)", resp.StatusCode)
	}
}

// TestWithoutRefused: a Client whose token the Hub refuses still resolves
// a public repo, once more without the token, and tells Config.Refused; a
// gated repo stays refused with the sentence that names the token.
func TestWithoutRefused(t *testing.T) {
	tiny, gated := hftest.TinyGGUF(), hftest.TinyGGUF()
	gated.ID, gated.Gated = "lab/Gated-GGUF", true
	hub := hftest.Start(hftest.WithRepo(tiny), hftest.WithRepo(gated), hftest.WithTokens("hf_good"))
	t.Cleanup(hub.Close)
	var refused []hf.Token
	c, err := hf.New(hf.Config{Endpoint: hub.URL(), Token: hf.NewToken("hf_expired", "HF_TOKEN"),
		Refused: func(tok hf.Token) { refused = append(refused, tok) }})
	if err != nil {
		t.Fatal(err)
	}
	resolve := func(name string) (bool, error) {
		ref, err := hf.Parse(name, hf.Options{Endpoint: hub.URL()})
		if err != nil {
			t.Fatal(err)
		}
		return c.WithoutRefused(func(c *hf.Client) error {
			_, err := c.Resolve(t.Context(), ref)
			return err
		})
	}
	if without, err := resolve("hf.co/" + tiny.ID + ":Q4_K_M"); err != nil || !without {
		t.Fatalf("public repo with a refused token: without the token %v, %v; want resolved without it", without, err)
	}
	if len(refused) != 1 || refused[0].From != "HF_TOKEN" {
		t.Errorf("Refused was told %v, want the token from HF_TOKEN once", refused)
	}
	without, err := resolve("hf.co/" + gated.ID + ":Q4_K_M")
	var e *hf.Error
	if without || !errors.As(err, &e) || e.Kind != hf.KindTokenRefused {
		t.Errorf("gated repo with a refused token: %v, %v; want the refusal", without, err)
	}
}
