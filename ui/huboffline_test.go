package ui

import (
	"testing"

	"github.com/modelfetch/modelfetch/downloader/hf"
)

// TestHubOfflineModeSaysTheVariable: with HF_HUB_OFFLINE set (a client
// made offline, as hf.FromEnv makes it), a search says the variable is
// set, and the Hub sees no request.
func TestHubOfflineModeSaysTheVariable(t *testing.T) {
	hub := tinyHub(t)
	h := newHubHarness(t, hub.URL(), hf.Token{})
	c, err := hf.New(hf.Config{Endpoint: hub.URL(), Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	h.v.SetClient(c, "")
	h.enter("tiny")
	want := "HF_HUB_OFFLINE is set, so ModelFetch does not search the Hugging Face Hub. Unset it to search and download."
	h.waitFor("the offline-mode note", func() bool { return h.v.note.Text == want })
	if n := len(hub.Requests()); n != 0 {
		t.Errorf("the Hub saw %d requests", n)
	}
}
