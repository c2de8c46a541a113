package network

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"path"
	"strings"
)

// Kind is what went wrong, in the terms a person and the retry policy
// need: which of the machine, the network, the proxy or the server failed.
type Kind int

const (
	// HostNotFound: the name server says the host does not exist.
	HostNotFound Kind = iota + 1
	// LookupFailed: no name server answered for the host; the machine may
	// be offline (Judge asks the Watcher).
	LookupFailed
	// ServerNotAnswering: no connection was made in time, or the host
	// cannot be reached (a connect timeout, no route to it).
	ServerNotAnswering
	// ConnectionLost: an open connection was reset or ended early.
	ConnectionLost
	// ProxyNotAnswering: the proxy could not be reached.
	ProxyNotAnswering
	// TooManyRedirects: more than MaxRedirects redirects.
	TooManyRedirects
	// RedirectLoop: a redirect back to an address already visited.
	RedirectLoop
	// UnsafeRedirect: a redirect to a scheme other than http and https.
	UnsafeRedirect
	// Downgrade: a redirect from https to http.
	Downgrade
	// Malformed: a response that is not valid HTTP.
	Malformed
	// Untrusted: the server's certificate is not trusted.
	Untrusted
	// CaptivePortal: a captive portal answered instead of the server.
	CaptivePortal
	// WrongLength: the answer's length disagrees with the file's known size.
	WrongLength
	// BadProxySetting: the proxy in the settings is not a proxy address.
	BadProxySetting
	// BadCAFile: the extra CA certificate file cannot be used.
	BadCAFile
	// Disconnected: the machine is offline (Judge).
	Disconnected
	// MeteredConnection: downloads pause on a metered connection, as the
	// settings ask (the engine makes it).
	MeteredConnection
	// Refused: the host refused the connection: nothing listens at that
	// port. The host answered, so the network to it is up.
	Refused
	// NoAnswer: the server took the connection but sent no answer (no
	// response header) within the time the transport allows (Bound).
	NoAnswer
)

var kindNames = map[Kind]string{
	HostNotFound: "host not found", LookupFailed: "name lookup failed", ServerNotAnswering: "server not answering",
	ConnectionLost: "connection lost", ProxyNotAnswering: "proxy not answering", TooManyRedirects: "too many redirects",
	RedirectLoop: "redirect loop", UnsafeRedirect: "redirect to a scheme other than http(s)", Downgrade: "redirect from https to http",
	Malformed: "malformed response", Untrusted: "untrusted certificate", CaptivePortal: "captive portal",
	WrongLength: "length disagrees with the file's size", BadProxySetting: "bad proxy setting", BadCAFile: "bad CA certificate file",
	Disconnected: "offline", MeteredConnection: "metered connection", Refused: "connection refused",
	NoAnswer: "no answer",
}

func (k Kind) String() string { return kindNames[k] }

// Action is what the retry policy does about a kind of failure.
type Action int

const (
	// Retry: back off and try again, up to a bound the person is shown.
	Retry Action = iota + 1
	// Fail: fail at once; asking again gets the same answer.
	Fail
	// Wait: wait as for offline, without counting failures, until the
	// network changes or the real server answers (a captive portal).
	Wait
)

// Action is what the retry policy does about k. HostNotFound retries only
// because a name server may be briefly wrong: a few tries are enough.
func (k Kind) Action() Action {
	switch k {
	case HostNotFound, LookupFailed, ServerNotAnswering, ConnectionLost, ProxyNotAnswering, WrongLength, Refused, NoAnswer:
		return Retry
	case CaptivePortal, Disconnected, MeteredConnection:
		return Wait
	}
	return Fail
}

// Error is a classified failure. Host is the server, proxy or portal the
// sentence names; URL is the address involved (a redirect's target, the
// portal's page, the settings value), when there is one.
type Error struct {
	Kind Kind
	Host string
	URL  string
	// Got and Want are the lengths of a WrongLength answer.
	Got, Want int64
	Err       error
}

func (e *Error) Error() string {
	s := e.Kind.String()
	if e.Host != "" {
		s += " at " + e.Host
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Classify sorts a failed request or body read. rawURL names the server
// when err does not (a body read error carries no address). It returns the
// *Error already in err if there is one (from CheckRedirect), and nil when
// err is none of the kinds (a cancelled context, a status the engine
// handles itself): the engine keeps its own handling for those. A
// deadline that passed while connecting is a server not answering, and
// after it, a server that sends no answer. The connection kinds name the
// server as host:port, the port the person may have to check.
func Classify(err error, rawURL string) *Error {
	if err == nil || errors.Is(err, context.Canceled) {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		rawURL = ue.URL
	}
	if k, addr, ok := classifyNet(err); ok {
		host := hostOf(rawURL)
		switch {
		case addr != "":
			host = addr
		case k == Refused || k == ServerNotAnswering || k == NoAnswer:
			host = hostPort(rawURL)
		}
		return &Error{Kind: k, Host: host, Err: err}
	}
	if untrusted(err) {
		return &Error{Kind: Untrusted, Host: hostOf(rawURL), Err: err}
	}
	if ue != nil || isProtocolError(err) {
		return &Error{Kind: Malformed, Host: hostOf(rawURL), Err: err}
	}
	return nil
}

// classifyNet recognises failures of the network, the name servers and
// the proxy; addr is the address that failed when it is not the server's.
func classifyNet(err error) (k Kind, addr string, ok bool) {
	if op := proxyOp(err); op != nil {
		return ProxyNotAnswering, proxyAddr(op), true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		if dns.IsNotFound {
			return HostNotFound, dns.Name, true
		}
		return LookupFailed, dns.Name, true
	}
	var ne net.Error
	switch {
	case isAny(err, refusedErrors):
		return Refused, "", true
	case isAny(err, unreachableErrors):
		return ServerNotAnswering, "", true
	case errors.As(err, &ne) && ne.Timeout():
		if dialing(err) {
			return ServerNotAnswering, "", true
		}
		return NoAnswer, "", true
	case isAny(err, lostErrors), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return ConnectionLost, "", true
	}
	return 0, "", false
}

// isAny reports whether err is one of errs.
func isAny(err error, errs []error) bool {
	for _, target := range errs {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// dialing reports whether err happened while connecting: the dial's
// *net.OpError is in it.
func dialing(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// proxyOp is the error net/http returns when it cannot reach the proxy:
// a *net.OpError with Op "proxyconnect" around the dial's error.
func proxyOp(err error) *net.OpError {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if op, ok := e.(*net.OpError); ok && op.Op == "proxyconnect" {
			return op
		}
	}
	return nil
}

// proxyAddr is the proxy's address from the dial error inside op: the
// address it dialed, or the name it could not look up.
func proxyAddr(op *net.OpError) string {
	var inner *net.OpError
	if errors.As(op.Err, &inner) && inner.Addr != nil {
		return inner.Addr.String()
	}
	var dns *net.DNSError
	if errors.As(op.Err, &dns) {
		return dns.Name
	}
	return ""
}

func untrusted(err error) bool {
	var ve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &ve) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

// isProtocolError reports an error net/http gives for a header it cannot
// parse. The status line and Content-Length come as plain errors, which
// Classify catches instead by elimination: a round trip's error
// (*url.Error) that is not a network, TLS or context failure is a
// response that could not be read.
func isProtocolError(err error) bool {
	var tp textproto.ProtocolError
	return errors.As(err, &tp)
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// hostPort is the host of raw with its port, the scheme's when the
// address gives none: "mirror.lan:443".
func hostPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	if port == "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// MaxRedirects is how many redirects a request may follow.
const MaxRedirects = 10

// CheckRedirect is an http.Client's CheckRedirect that refuses, with an
// *Error, more than MaxRedirects redirects, a cycle (without a cookie jar
// the same address gives the same answer again), a scheme other than http
// and https (file://, ftp://, gopher://) and a step down from https to
// http. The engine calls it first in its own CheckRedirect.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	from := via[len(via)-1].URL
	to := req.URL.String()
	switch {
	case req.URL.Scheme != "http" && req.URL.Scheme != "https":
		return &Error{Kind: UnsafeRedirect, Host: from.Host, URL: to}
	case req.URL.Scheme == "http" && anyHTTPS(via):
		return &Error{Kind: Downgrade, Host: from.Host, URL: to}
	case visited(to, via):
		return &Error{Kind: RedirectLoop, Host: from.Host, URL: to}
	case len(via) > MaxRedirects:
		return &Error{Kind: TooManyRedirects, Host: via[0].URL.Host, URL: via[0].URL.String()}
	}
	return nil
}

func anyHTTPS(via []*http.Request) bool {
	for _, r := range via {
		if r.URL.Scheme == "https" {
			return true
		}
	}
	return false
}

func visited(u string, via []*http.Request) bool {
	for _, r := range via {
		if r.URL.String() == u {
			return true
		}
	}
	return false
}

// CheckResponse refuses an answer that is not the file: a captive
// portal's 511 or a text/html page for a file whose name is not HTML
// (a portal's sign-in page), as CaptivePortal with the portal's address (the
// final URL after redirects, or a 511's Location), and a 200 whose length
// disagrees with size, the file's size when known (-1 when not). A 206's
// length is the engine's check (its Content-Range against the recorded
// total). name is the file's name. Call it before writing a byte.
func CheckResponse(resp *http.Response, size int64, name string) error {
	portal := portalAddress(resp)
	switch {
	case resp.StatusCode == http.StatusNetworkAuthenticationRequired:
		return &Error{Kind: CaptivePortal, Host: hostOf(portal), URL: portal}
	case resp.StatusCode/100 != 2:
		return nil
	case isHTML(resp.Header.Get("Content-Type")) && !htmlName(name):
		return &Error{Kind: CaptivePortal, Host: hostOf(portal), URL: portal}
	case resp.StatusCode == http.StatusOK && size >= 0 && resp.ContentLength >= 0 && resp.ContentLength != size:
		return &Error{Kind: WrongLength, Host: resp.Request.URL.Host, URL: resp.Request.URL.String(), Got: resp.ContentLength, Want: size}
	}
	return nil
}

func portalAddress(resp *http.Response) string {
	if loc := resp.Header.Get("Location"); loc != "" {
		if u, err := resp.Request.URL.Parse(loc); err == nil {
			return u.String()
		}
	}
	return resp.Request.URL.String()
}

func isHTML(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "text/html" || mt == "application/xhtml+xml")
}

func htmlName(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".html", ".htm", ".xhtml":
		return true
	}
	return false
}
