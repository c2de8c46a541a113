package appstest

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"
)

// ServeOllama starts `ollama serve` on a free loopback port with a
// private store and home, and returns its address once it answers.
func ServeOllama(t *testing.T, bin, root, models string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"HOME=" + root, "PATH=" + os.Getenv("PATH"), "OLLAMA_MODELS=" + models, "OLLAMA_HOST=" + addr}
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("ollama serve said:\n%s", log.String())
		}
	})
	base := "http://" + addr
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond) // a real server's start: polled, within a bound
	defer tick.Stop()
	for {
		if resp, err := http.Get(base + "/api/version"); err == nil {
			_ = resp.Body.Close()
			return base
		}
		select {
		case <-ctx.Done():
			t.Fatalf("ollama serve did not answer on %s: %s", addr, log.String())
		case <-tick.C:
		}
	}
}

// AskOllama asks Ollama's API at url (a GET without a body, else a POST
// of body as JSON) and decodes its answer into out.
func AskOllama(t *testing.T, url string, body, out any) {
	t.Helper()
	var resp *http.Response
	var err error
	if body == nil {
		resp, err = http.Get(url)
	} else {
		b, _ := json.Marshal(body)
		resp, err = http.Post(url, "application/json", bytes.NewReader(b))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}
