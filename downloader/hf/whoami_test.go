package hf

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/words"
	"github.com/modelfetch/modelfetch/downloader/words/wordstest"
)

// whoAmIHub answers /api/whoami-v2 as the Hub does: the account for the
// token "hf_good", 401 for any other, and status for the token "hf_fail".
func whoAmIHub(t *testing.T, status int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path != "/api/whoami-v2":
			http.NotFound(w, r)
		case r.Header.Get("Authorization") == "Bearer hf_good":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"type":"user","name":"ada","auth":{"accessToken":{"role":"read"}}}`))
		case r.Header.Get("Authorization") == "Bearer hf_fail":
			w.WriteHeader(status)
		default:
			w.Header().Set("X-Error-Message", "Invalid credentials in Authorization header")
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestWhoAmI(t *testing.T) {
	endpoint := whoAmIHub(t, http.StatusBadGateway)
	client := func(value string, offline bool) *Client {
		c, err := New(Config{Endpoint: endpoint, Token: NewToken(value, "Settings"), Offline: offline})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if name, err := client(" hf_good\n", false).WhoAmI(t.Context()); err != nil || name != "ada" {
		t.Fatalf("got %q, %v for a good token, want ada", name, err)
	}
	if name, err := client("", false).WhoAmI(t.Context()); err != nil || name != "" {
		t.Fatalf("got %q, %v without a token, want nothing asked", name, err)
	}
	_, err := client("hf_wrong", false).WhoAmI(t.Context())
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindTokenRefused || e.TokenFrom != "Settings" {
		t.Fatalf("got %v for a wrong token, want it refused, from Settings", err)
	}
	wordstest.IsSentence(t, words.Sentence(err), "Settings")
	for _, c := range []struct {
		token   string
		offline bool
	}{{"hf_fail", false}, {"hf_good", true}} {
		_, err := client(c.token, c.offline).WhoAmI(t.Context())
		var we *WhoAmIError
		if !errors.As(err, &we) {
			t.Fatalf("got %v for %s (offline %v), want a WhoAmIError", err, c.token, c.offline)
		}
		wordstest.IsSentence(t, words.Sentence(err))
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := client("hf_good", false).WhoAmI(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v with the context cancelled, want context.Canceled", err)
	}
}
