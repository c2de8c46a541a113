package network

import (
	"context"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// trusting is a client that trusts ts's certificate and no other, and
// checks redirects with CheckRedirect.
func trusting(ts *httptest.Server) *http.Client {
	c := ts.Client()
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	t := c.Transport.(*http.Transport).Clone()
	t.TLSClientConfig.RootCAs = pool
	return &http.Client{Transport: t, CheckRedirect: CheckRedirect}
}

// do makes a GET with c and reads the whole body; it returns the error.
func do(t *testing.T, c *http.Client, url string) error {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	return err
}

func wantKind(t *testing.T, err error, url string, want Kind) *Error {
	t.Helper()
	e := Classify(err, url)
	if e == nil {
		t.Fatalf("Classify(%v) = nil, want %v", err, want)
	}
	if e.Kind != want {
		t.Fatalf("Classify(%v).Kind = %v, want %v", err, e.Kind, want)
	}
	return e
}

func TestCheckRedirect(t *testing.T) {
	var plainHits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainHits.Add(1)
		fmt.Fprint(w, "file")
	}))
	t.Cleanup(plain.Close)
	var hits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/loop/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop/b", http.StatusFound) })
	mux.HandleFunc("/loop/b", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop/a", http.StatusFound) })
	mux.HandleFunc("/chain/{n}", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
	})
	mux.HandleFunc("/chain/{n}/", func(w http.ResponseWriter, r *http.Request) {})
	for _, scheme := range []string{"file:///etc/passwd", "ftp://127.0.0.1/f", "gopher://127.0.0.1/f"} {
		mux.HandleFunc("/to/"+strings.SplitN(scheme, ":", 2)[0], func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", scheme)
			w.WriteHeader(http.StatusFound)
		})
	}
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, plain.URL+"/f", http.StatusFound) })
	mux.HandleFunc("/three/{n}", func(w http.ResponseWriter, r *http.Request) {
		if n := r.PathValue("n"); n != "3" {
			http.Redirect(w, r, fmt.Sprintf("/three/%c", n[0]+1), http.StatusFound)
			return
		}
		fmt.Fprint(w, "file")
	})
	ts := httptest.NewTLSServer(mux)
	t.Cleanup(ts.Close)
	c := trusting(ts)

	for _, tc := range []struct {
		path string
		want Kind // 0: no error
		url  string
	}{
		{"/loop/a", RedirectLoop, ts.URL + "/loop/a"},
		{"/chain/x", TooManyRedirects, ts.URL + "/chain/x"},
		{"/to/file", UnsafeRedirect, "file:///etc/passwd"},
		{"/to/ftp", UnsafeRedirect, "ftp://127.0.0.1/f"},
		{"/to/gopher", UnsafeRedirect, "gopher://127.0.0.1/f"},
		{"/down", Downgrade, plain.URL + "/f"},
		{"/three/0", 0, ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			hits.Store(0)
			err := do(t, c, ts.URL+tc.path)
			if tc.want == 0 {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			e := wantKind(t, err, ts.URL+tc.path, tc.want)
			if e.URL != tc.url {
				t.Errorf("URL = %q, want %q", e.URL, tc.url)
			}
			if e.Kind.Action() != Fail {
				t.Errorf("Action = %v, want Fail", e.Kind.Action())
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the last case hit the chain %d times", n)
	}
	if n := plainHits.Load(); n != 0 {
		t.Errorf("the http server was asked %d times after a redirect from https, want 0", n)
	}
	t.Run("bounded", func(t *testing.T) {
		hits.Store(0)
		_ = do(t, c, ts.URL+"/chain/x")
		if n := hits.Load(); n != MaxRedirects+1 {
			t.Errorf("the chain was asked %d times, want %d", n, MaxRedirects+1)
		}
	})
}

// nameServer is a resolver whose name server, on 127.0.0.1, answers
// every question with rcode (2 SERVFAIL, 3 NXDOMAIN).
func nameServer(t *testing.T, rcode byte) *net.Resolver {
	r, _ := recordingNameServer(t, rcode)
	return r
}

// recordingNameServer is nameServer, and the names it was asked, in
// order. It serves DNS over TCP (the resolver then speaks TCP to it):
// wine cannot open a UDP socket as Go does, and the Windows build of
// these tests runs there.
func recordingNameServer(t *testing.T, rcode byte) (*net.Resolver, func() []string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	var mu sync.Mutex
	var asked []string
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for {
					query, err := readDNS(c)
					if err != nil {
						return
					}
					mu.Lock()
					asked = append(asked, dnsName(query))
					mu.Unlock()
					msg := dnsAnswer(query, rcode)
					if msg == nil {
						return
					}
					if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(msg))), msg...)); err != nil {
						return
					}
				}
			}()
		}
	}()
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", l.Addr().String())
	}}
	return r, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Compact(slices.Clone(asked)) // A and AAAA ask twice
	}
}

// readDNS reads one message of DNS over TCP: its length, then itself.
func readDNS(r io.Reader) ([]byte, error) {
	var n [2]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	msg := make([]byte, binary.BigEndian.Uint16(n[:]))
	_, err := io.ReadFull(r, msg)
	return msg, err
}

// dnsName is the name a query asks about, without the root's dot.
func dnsName(query []byte) string {
	var labels []string
	for i := 12; i < len(query) && query[i] != 0; i += int(query[i]) + 1 {
		end := min(i+1+int(query[i]), len(query))
		labels = append(labels, string(query[i+1:end]))
	}
	return strings.Join(labels, ".")
}

// dnsAnswer is the answer to query: its header and question with rcode.
func dnsAnswer(query []byte, rcode byte) []byte {
	end := 12
	for end < len(query) && query[end] != 0 {
		end += int(query[end]) + 1
	}
	end += 5 // the root label, type and class
	if end > len(query) {
		return nil
	}
	msg := append([]byte(nil), query[:end]...)
	msg[2] = 0x80 | msg[2]&0x01 // a response, recursion desired as asked
	msg[3] = 0x80 | rcode       // recursion available
	clear(msg[6:12])            // no answer, authority or additional records
	return msg
}

func TestClassify(t *testing.T) {
	refused := "http://" + origintest.ClosedAddr(t) + "/model.gguf"
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = silent.Close() })
	short := origintest.RawURL(t, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b") + "/model.gguf"
	untrustedTS := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(untrustedTS.Close)
	viaDNS := func(rcode byte) *http.Client {
		d := &net.Dialer{Resolver: nameServer(t, rcode)}
		return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	}
	impatient := &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 50 * time.Millisecond}}

	for _, tc := range []struct {
		name   string
		client *http.Client
		url    string
		want   Kind
		host   string
		action Action
	}{
		{"refused", http.DefaultClient, refused, Refused, strings.Split(refused, "/")[2], Retry},
		{"no answer", impatient, "http://" + silent.Addr().String() + "/f", NoAnswer, silent.Addr().String(), Retry},
		{"cut short", http.DefaultClient, short, ConnectionLost, strings.Split(short, "/")[2], Retry},
		{"no such host", viaDNS(3), "http://model.test/f", HostNotFound, "model.test", Retry},
		{"name server failing", viaDNS(2), "http://model.test/f", LookupFailed, "model.test", Retry},
		{"untrusted", http.DefaultClient, untrustedTS.URL, Untrusted, strings.TrimPrefix(untrustedTS.URL, "https://"), Fail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := do(t, tc.client, tc.url)
			e := wantKind(t, err, tc.url, tc.want)
			if e.Host != tc.host {
				t.Errorf("Host = %q, want %q", e.Host, tc.host)
			}
			if e.Kind.Action() != tc.action {
				t.Errorf("Action = %v, want %v", e.Kind.Action(), tc.action)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, refused, nil)
		_, err := http.DefaultClient.Do(req)
		if e := Classify(err, refused); err == nil || e != nil {
			t.Errorf("Classify(%v) = %v, want nil for a cancelled request", err, e)
		}
	})
}

func TestClassifyDeadProxy(t *testing.T) {
	closed := origintest.ClosedAddr(t)
	for _, tc := range []struct{ name, proxy, host string }{
		{"closed port", "http://" + closed, closed},
		{"no such host", "http://proxy.test:3128", "proxy.test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HTTP_PROXY", tc.proxy)
			t.Setenv("HTTPS_PROXY", tc.proxy)
			t.Setenv("NO_PROXY", "")
			d := &net.Dialer{Resolver: nameServer(t, 3)}
			tr := &http.Transport{DialContext: d.DialContext}
			if err := Configure(tr, Settings{}); err != nil {
				t.Fatal(err)
			}
			c := &http.Client{Transport: tr}
			// The names are never looked up here: the proxy would look them up.
			for _, u := range []string{"http://model.test/f", "https://model.test/f"} {
				e := wantKind(t, do(t, c, u), u, ProxyNotAnswering)
				if e.Host != tc.host {
					t.Errorf("%s: Host = %q, want the proxy's %q", u, e.Host, tc.host)
				}
			}
		})
	}
}

func TestClassifyMalformed(t *testing.T) {
	for _, tc := range []struct{ name, resp string }{
		{"raw newline in a header", "HTTP/1.1 200 OK\r\nX-Note: one\ntwo\r\nContent-Length: 2\r\n\r\nhi"},
		{"bare CR in a header", "HTTP/1.1 200 OK\r\nX-Note: one\rtwo\r\nContent-Length: 2\r\n\r\nhi"},
		{"not a status line", "SSH-2.0-OpenSSH_9.2\r\n\r\n"},
		{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi"},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\nhi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := origintest.RawURL(t, tc.resp) + "/model.gguf"
			e := wantKind(t, do(t, http.DefaultClient, u), u, Malformed)
			if e.Host != strings.Split(u, "/")[2] {
				t.Errorf("Host = %q, want %q", e.Host, strings.Split(u, "/")[2])
			}
		})
	}
}

func TestCheckResponse(t *testing.T) {
	page := strings.Repeat("x", 179)
	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	t.Cleanup(portal.Close)
	mux := http.NewServeMux()
	mux.HandleFunc("/redirected", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, portal.URL+"/login", http.StatusFound)
	})
	mux.HandleFunc("/511", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", portal.URL+"/login")
		w.WriteHeader(http.StatusNetworkAuthenticationRequired)
	})
	mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(strings.Repeat("m", 100)))
	})
	mux.HandleFunc("/index.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, page)
	})
	origin := httptest.NewServer(mux)
	t.Cleanup(origin.Close)

	for _, tc := range []struct {
		name, method, url, file string
		size                    int64
		rng                     string
		want                    Kind
		where                   string
	}{
		{"portal page, size known", http.MethodGet, portal.URL + "/gemma-2b.gguf", "gemma-2b.gguf", 668788096, "", CaptivePortal, portal.URL + "/gemma-2b.gguf"},
		{"portal page, HEAD", http.MethodHead, portal.URL + "/gemma-2b.gguf", "gemma-2b.gguf", 668788096, "", CaptivePortal, portal.URL + "/gemma-2b.gguf"},
		{"portal page, size unknown", http.MethodGet, portal.URL + "/gemma-2b.gguf", "gemma-2b.gguf", -1, "", CaptivePortal, portal.URL + "/gemma-2b.gguf"},
		{"redirected to a portal", http.MethodGet, origin.URL + "/redirected", "model.bin", -1, "", CaptivePortal, portal.URL + "/login"},
		{"511", http.MethodGet, origin.URL + "/511", "model.bin", -1, "", CaptivePortal, portal.URL + "/login"},
		{"length mismatch", http.MethodGet, origin.URL + "/file", "model.bin", 200, "", WrongLength, origin.URL + "/file"},
		{"length mismatch, HEAD", http.MethodHead, origin.URL + "/file", "model.bin", 200, "", WrongLength, origin.URL + "/file"},
		{"the file", http.MethodGet, origin.URL + "/file", "model.bin", 100, "", 0, ""},
		{"the file, size unknown", http.MethodGet, origin.URL + "/file", "model.bin", -1, "", 0, ""},
		{"a part of the file", http.MethodGet, origin.URL + "/file", "model.bin", 100, "bytes=10-19", 0, ""},
		{"an HTML file", http.MethodGet, origin.URL + "/index.html", "index.html", -1, "", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tc.method, tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.rng != "" {
				req.Header.Set("Range", tc.rng)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			err = CheckResponse(resp, tc.size, tc.file)
			if tc.want == 0 {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.want {
				t.Fatalf("got %v, want a %v", err, tc.want)
			}
			if e.URL != tc.where {
				t.Errorf("URL = %q, want %q", e.URL, tc.where)
			}
			if tc.want == WrongLength && (e.Got != 100 || e.Want != tc.size) {
				t.Errorf("Got, Want = %d, %d, want 100, %d", e.Got, e.Want, tc.size)
			}
		})
	}
}

func TestSentence(t *testing.T) {
	for _, tc := range []struct {
		err   error
		retry time.Duration
		want  string
	}{
		{&Error{Kind: HostNotFound, Host: "hf.example"}, 0, "The host hf.example does not exist."},
		{&Error{Kind: ServerNotAnswering, Host: "127.0.0.1:8080"}, 30 * time.Second, "The server at 127.0.0.1:8080 is not answering; trying again in 30 s."},
		{&Error{Kind: Refused, Host: "mirror.lan:443"}, 2 * time.Second, "Nothing answers at mirror.lan:443; trying again in 2 s."},
		{&Error{Kind: NoAnswer, Host: "mirror.lan:80"}, 0, "The server at mirror.lan:80 took the connection but sent no answer."},
		{fmt.Errorf("get: %w", &Error{Kind: ProxyNotAnswering, Host: "127.0.0.1:3128"}), 90 * time.Second, "The proxy at 127.0.0.1:3128 is not answering; trying again in 2 min."},
		{&Error{Kind: CaptivePortal, Host: "portal.example", URL: "http://portal.example/login"}, time.Minute, "Sign in to the network at http://portal.example/login."},
		{&Error{Kind: Downgrade, Host: "a.example", URL: "http://b.example/f"}, time.Minute, "The server at a.example redirects from a secure address to an insecure one (http://b.example/f), so the download was stopped."},
		{&Error{Kind: WrongLength, Host: "a.example", Got: 179, Want: 668788096}, 0, "The server at a.example sent 179 bytes where the file is 669 MB, so it is not the file."},
		{&Error{Kind: BadCAFile, URL: "/etc/corp.pem", Err: errNoCertificate}, 0, "The CA certificate file /etc/corp.pem holds no PEM certificate."},
		{errors.New("other"), time.Minute, ""},
	} {
		if got := Sentence(tc.err, tc.retry); got != tc.want {
			t.Errorf("Sentence(%v, %v) = %q, want %q", tc.err, tc.retry, got, tc.want)
		}
	}
	for k := HostNotFound; k <= NoAnswer; k++ {
		if s := Sentence(&Error{Kind: k, Host: "h", URL: "u"}, 0); s == "" || strings.HasPrefix(s, k.String()) {
			t.Errorf("Kind %d has no sentence of its own: %q", k, s)
		}
	}
}

func TestHostPort(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"https://mirror.lan/model.gguf", "mirror.lan:443"},
		{"HTTP://mirror.lan/model.gguf", "mirror.lan:80"},
		{"http://[fd12::5]/model.gguf", "[fd12::5]:80"},
		{"http://user:pw@mirror.lan:8080/f", "mirror.lan:8080"},
		{"ftp://mirror.lan/f", "mirror.lan"},
		{"not a url", ""},
	} {
		if got := hostPort(tc.url); got != tc.want {
			t.Errorf("hostPort(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
}
