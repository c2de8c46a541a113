package network

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// forwardProxy is an HTTP proxy on 127.0.0.1 that answers every request
// itself with "via proxy" and records the absolute URLs it was asked for.
func forwardProxy(t *testing.T) (addr string, asked func() []string) {
	t.Helper()
	var mu sync.Mutex
	var urls []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		urls = append(urls, r.URL.String())
		mu.Unlock()
		fmt.Fprint(w, "via proxy")
	}))
	t.Cleanup(ts.Close)
	return ts.Listener.Addr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), urls...)
	}
}

// noDial is a DialContext that records the address and refuses, so that
// a request that skips the proxy never leaves the machine.
func noDial(dialed *[]string) func(context.Context, string, string) (net.Conn, error) {
	var mu sync.Mutex
	return func(_ context.Context, _, addr string) (net.Conn, error) {
		mu.Lock()
		*dialed = append(*dialed, addr)
		mu.Unlock()
		return nil, errors.New("no direct connection in this test")
	}
}

func TestConfigureProxy(t *testing.T) {
	proxy, asked := forwardProxy(t)
	for _, tc := range []struct {
		name               string
		setting, env, none string
		url                string
		viaProxy           bool
	}{
		{"from settings", proxy, "", "", "http://model.test/a", true},
		{"from settings, with a scheme", "http://" + proxy, "", "", "http://model.test/b", true},
		{"from the environment", "", "http://" + proxy, "", "http://model.test/c", true},
		{"settings over the environment", proxy, "http://" + origintest.ClosedAddr(t), "", "http://model.test/d", true},
		{"NO_PROXY with settings", proxy, "", "model.test", "http://model.test/e", false},
		{"NO_PROXY with the environment", "", "http://" + proxy, "model.test", "http://model.test/f", false},
		{"no proxy at all", "", "", "", "http://model.test/g", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Lower case first: Windows has one variable for both cases.
			t.Setenv("http_proxy", "")
			t.Setenv("HTTP_PROXY", tc.env)
			t.Setenv("no_proxy", "")
			t.Setenv("NO_PROXY", tc.none)
			var dialed []string
			tr := &http.Transport{}
			if err := Configure(tr, Settings{Proxy: tc.setting}); err != nil {
				t.Fatal(err)
			}
			direct := noDial(&dialed)
			tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				if addr == proxy {
					var d net.Dialer
					return d.DialContext(ctx, network, addr)
				}
				return direct(ctx, network, addr)
			}
			err := do(t, &http.Client{Transport: tr}, tc.url)
			got := asked()
			proxied := len(got) > 0 && got[len(got)-1] == tc.url
			if proxied != tc.viaProxy {
				t.Errorf("through the proxy: %v, want %v (proxy asked %v, dialed %v, error %v)", proxied, tc.viaProxy, got, dialed, err)
			}
			if !tc.viaProxy && (len(dialed) != 1 || dialed[0] != "model.test:80") {
				t.Errorf("dialed %v, want model.test:80 directly", dialed)
			}
		})
	}
}

func TestConfigureBadProxy(t *testing.T) {
	for _, p := range []string{"http://", "ftp://proxy.example:21", "http://[::1"} {
		tr := &http.Transport{}
		err := Configure(tr, Settings{Proxy: p})
		var e *Error
		if !errors.As(err, &e) || e.Kind != BadProxySetting || e.URL != p {
			t.Errorf("Configure(proxy %q) = %v, want a BadProxySetting naming it", p, err)
		}
		if tr.Proxy != nil || tr.TLSClientConfig != nil {
			t.Errorf("Configure(proxy %q) changed the transport", p)
		}
	}
}

// writeCA writes the certificate of ts as a PEM file and returns its path.
func writeCA(t *testing.T, ts *httptest.Server) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "corp-ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestConfigureCA(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "model") }))
	t.Cleanup(ts.Close)

	plain := &http.Transport{}
	if err := Configure(plain, Settings{}); err != nil {
		t.Fatal(err)
	}
	wantKind(t, do(t, &http.Client{Transport: plain}, ts.URL), ts.URL, Untrusted)

	withCA := &http.Transport{}
	if err := Configure(withCA, Settings{CAFile: writeCA(t, ts)}); err != nil {
		t.Fatal(err)
	}
	if withCA.TLSClientConfig.InsecureSkipVerify {
		t.Fatal("verification was turned off")
	}
	if err := do(t, &http.Client{Transport: withCA}, ts.URL); err != nil {
		t.Fatalf("with the CA file: %v, want the file", err)
	}
	if err := Configure(withCA, Settings{}); err != nil {
		t.Fatal(err)
	}
	withCA.CloseIdleConnections()
	wantKind(t, do(t, &http.Client{Transport: withCA}, ts.URL), ts.URL, Untrusted)
}

func TestConfigureBadCA(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file      string
		noPEM     bool
		sentences string
	}{
		{notPEM, true, "The CA certificate file " + notPEM + " holds no PEM certificate."},
		{filepath.Join(dir, "missing.pem"), false, "The CA certificate file " + filepath.Join(dir, "missing.pem") + " could not be read."},
	} {
		tr := &http.Transport{}
		err := Configure(tr, Settings{CAFile: tc.file})
		var e *Error
		if !errors.As(err, &e) || e.Kind != BadCAFile || errors.Is(err, errNoCertificate) != tc.noPEM {
			t.Errorf("Configure(CA %s) = %v, want a BadCAFile (no PEM: %v)", tc.file, err, tc.noPEM)
		}
		if got := Sentence(err, 0); got != tc.sentences {
			t.Errorf("Sentence = %q, want %q", got, tc.sentences)
		}
		if tr.Proxy != nil || tr.TLSClientConfig != nil {
			t.Errorf("Configure(CA %s) changed the transport", tc.file)
		}
	}
}

// TestBoundSilentServer: a server that takes the connection and never
// answers, neither the TLS handshake nor the request, fails within the
// bound, as NoAnswer, which Judge keeps as the server's while the routes
// are up; the engine's "Very slow" never sees it, since no byte came.
func TestBoundSilentServer(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0") // the kernel takes connections; nothing answers
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = silent.Close() })
	const connect, firstByte = 300 * time.Millisecond, 200 * time.Millisecond
	m := NewMonitor(Config{Bus: noBus, ProcNet: "testdata/online", Addrs: prefixes("192.0.2.2/24"), Lookup: noLookup(t)})
	for _, tc := range []struct {
		scheme string
		bound  time.Duration
	}{{"http", firstByte}, {"https", connect}} {
		t.Run(tc.scheme, func(t *testing.T) {
			tr := &http.Transport{}
			Bound(tr, connect, firstByte)
			t.Cleanup(tr.CloseIdleConnections)
			u := tc.scheme + "://" + silent.Addr().String() + "/model.gguf"
			began := time.Now()
			err := do(t, &http.Client{Transport: tr}, u)
			took := time.Since(began)
			e := Judge(t.Context(), m, err, u)
			if e == nil || e.Kind != NoAnswer || e.Host != silent.Addr().String() {
				t.Fatalf("judged %v, want %v at %s", e, NoAnswer, silent.Addr())
			}
			if took < tc.bound || took > tc.bound+2*time.Second {
				t.Errorf("failed after %v, want about %v", took, tc.bound)
			}
		})
	}
}

// TestBoundDefaults: the engine's bounds are tens of seconds, not
// minutes.
func TestBoundDefaults(t *testing.T) {
	tr := &http.Transport{}
	Bound(tr, ConnectTimeout, FirstByteTimeout)
	if tr.ResponseHeaderTimeout != FirstByteTimeout || tr.TLSHandshakeTimeout != ConnectTimeout || tr.DialContext == nil {
		t.Fatalf("Bound left the transport with ResponseHeaderTimeout %v, TLSHandshakeTimeout %v, DialContext set %v",
			tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout, tr.DialContext != nil)
	}
	for _, d := range []time.Duration{ConnectTimeout, FirstByteTimeout} {
		if d < 10*time.Second || d >= time.Minute {
			t.Errorf("a bound of %v, want tens of seconds", d)
		}
	}
}
