package network

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// Settings are what a company network may need: a proxy and a CA.
type Settings struct {
	// Proxy is the proxy for every request ("http://proxy:3128"; a bare
	// "proxy:3128" means http). Empty: HTTP_PROXY, HTTPS_PROXY and NO_PROXY
	// from the environment, as curl and most programs read them. NO_PROXY
	// applies to a Proxy set here too, and loopback is never proxied.
	Proxy string
	// CAFile is a PEM file of extra CA certificates, trusted together with
	// the system's. TLS verification is never turned off.
	CAFile string
}

// errNoCertificate is a CA file without a PEM certificate in it.
var errNoCertificate = errors.New("no PEM certificate")

// Configure makes t use s: its Proxy, and its RootCAs when s has a CA
// file. The environment is read now, so calling it again after the
// settings (or the environment) change takes them into account. Errors
// are *Error (BadProxySetting, BadCAFile) and leave t as it was.
func Configure(t *http.Transport, s Settings) error {
	proxy, err := proxyFunc(s.Proxy)
	if err != nil {
		return err
	}
	var roots *x509.CertPool
	if s.CAFile != "" {
		if roots, err = rootsWith(s.CAFile); err != nil {
			return err
		}
	}
	t.Proxy = proxy
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	} else {
		t.TLSClientConfig = t.TLSClientConfig.Clone()
	}
	t.TLSClientConfig.RootCAs = roots // nil: the system's
	return nil
}

// proxyFunc is http.ProxyFromEnvironment's rule, read now rather than once
// per process, with the settings' proxy in place of the environment's.
func proxyFunc(setting string) (func(*http.Request) (*url.URL, error), error) {
	cfg := httpproxy.FromEnvironment()
	if setting != "" {
		raw := setting
		if !strings.Contains(raw, "://") {
			raw = "http://" + raw
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || !proxyScheme(u.Scheme) {
			return nil, &Error{Kind: BadProxySetting, URL: setting, Err: err}
		}
		cfg.HTTPProxy, cfg.HTTPSProxy = raw, raw
	}
	f := cfg.ProxyFunc()
	return func(r *http.Request) (*url.URL, error) { return f(r.URL) }, nil
}

func proxyScheme(s string) bool {
	switch s {
	case "http", "https", "socks5", "socks5h":
		return true
	}
	return false
}

// rootsWith is the system's roots plus the certificates in file.
func rootsWith(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, &Error{Kind: BadCAFile, URL: file, Err: err}
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		return nil, &Error{Kind: BadCAFile, URL: file, Err: fmt.Errorf("system certificates: %w", err)}
	}
	if !roots.AppendCertsFromPEM(pem) {
		return nil, &Error{Kind: BadCAFile, URL: file, Err: errNoCertificate}
	}
	return roots, nil
}

// The bounds of the wait for a server that does not answer. Tens of
// seconds: long enough for a far or loaded server (a connection across
// the world is made in well under a second, a loaded CDN answers within
// a few), short enough that a server that takes the connection and never
// answers is said as such within a minute, not after ten. A body's bytes
// are bounded by the engine's stall watchdog instead, since a body may
// rightly take hours.
const (
	// ConnectTimeout bounds making a connection, and then its TLS
	// handshake.
	ConnectTimeout = 20 * time.Second
	// FirstByteTimeout bounds the wait for the response header once the
	// request is sent.
	FirstByteTimeout = 30 * time.Second
)

// Bound makes t give up on a server that does not answer: a connection
// not made within connect fails as ServerNotAnswering; a TLS handshake
// not done within connect after it, or an answer whose header has not
// come within firstByte, as NoAnswer (Classify). The engine calls it on
// its transport with ConnectTimeout and FirstByteTimeout; tests call it
// with small ones.
func Bound(t *http.Transport, connect, firstByte time.Duration) {
	d := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	t.DialContext = d.DialContext
	t.TLSHandshakeTimeout = connect
	t.ResponseHeaderTimeout = firstByte
}
