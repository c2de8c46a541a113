package network

import (
	"errors"
	"fmt"
	"time"

	"github.com/dustin/go-humanize"
)

// Sentence is what a person reads about err: one sentence for each Kind,
// naming the host, with "trying again in 30 s" when retryIn is positive
// and the kind is retried. An address it quotes is redacted (Redact): no
// query, no password. It is "" when err holds no *Error, so that the
// engine words its own failures.
func Sentence(err error, retryIn time.Duration) string {
	var e *Error
	if !errors.As(err, &e) {
		return ""
	}
	quoted := *e
	quoted.URL = Redact(e.URL)
	s := phrase(&quoted)
	if retryIn > 0 && e.Kind.Action() == Retry {
		s += "; trying again in " + waitText(retryIn)
	}
	return s + "."
}

// Sentence is e for a person, as Sentence(e, 0) words it; the engine's
// wording (downloader.Sentence) finds it through its Sayer interface.
func (e *Error) Sentence() string { return Sentence(e, 0) }

// phrase is the sentence for e without its final stop: a failure of the
// network or of the settings.
func phrase(e *Error) string {
	switch e.Kind {
	case HostNotFound:
		return fmt.Sprintf("The host %s does not exist", e.Host)
	case LookupFailed:
		return fmt.Sprintf("No name server answered for %s", e.Host)
	case Refused:
		return fmt.Sprintf("Nothing answers at %s", e.Host)
	case ServerNotAnswering:
		return fmt.Sprintf("The server at %s is not answering", e.Host)
	case NoAnswer:
		return fmt.Sprintf("The server at %s took the connection but sent no answer", e.Host)
	case ConnectionLost:
		return fmt.Sprintf("The connection to %s was lost", e.Host)
	case ProxyNotAnswering:
		return fmt.Sprintf("The proxy at %s is not answering", e.Host)
	case Untrusted:
		return fmt.Sprintf("The certificate of %s is not trusted; on a company network, add the company's CA certificate in Settings", e.Host)
	case BadProxySetting:
		return fmt.Sprintf("The proxy %q is not a proxy address; write it as http://host:port", e.URL)
	case BadCAFile:
		return badCAFile(e)
	case Disconnected:
		return "This computer is not connected to the internet; the download goes on when it is"
	case MeteredConnection:
		return "Paused because this connection is metered, as Settings ask; the download resumes on a connection that is not"
	}
	return answerPhrase(e)
}

// answerPhrase is the sentence for an answer that is not the file.
func answerPhrase(e *Error) string {
	switch e.Kind {
	case TooManyRedirects:
		return fmt.Sprintf("The address %s redirects more than %d times, so the download was stopped", e.URL, MaxRedirects)
	case RedirectLoop:
		return fmt.Sprintf("The server at %s redirects in a loop (back to %s), so the download was stopped", e.Host, e.URL)
	case UnsafeRedirect:
		return fmt.Sprintf("The server at %s redirects to %s, which is not a web address, so the download was stopped", e.Host, e.URL)
	case Downgrade:
		return fmt.Sprintf("The server at %s redirects from a secure address to an insecure one (%s), so the download was stopped", e.Host, e.URL)
	case Malformed:
		return fmt.Sprintf("The server at %s sent an answer that is not valid HTTP", e.Host)
	case CaptivePortal:
		if e.URL == "" {
			return "Sign in to the network"
		}
		return "Sign in to the network at " + e.URL
	case WrongLength:
		return fmt.Sprintf("The server at %s sent %s where the file is %s, so it is not the file", e.Host, bytesText(e.Got), bytesText(e.Want))
	}
	return e.Error()
}

func badCAFile(e *Error) string {
	if errors.Is(e.Err, errNoCertificate) {
		return fmt.Sprintf("The CA certificate file %s holds no PEM certificate", e.URL)
	}
	return fmt.Sprintf("The CA certificate file %s could not be read", e.URL)
}

func bytesText(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d bytes", n)
	}
	return humanize.Bytes(uint64(n))
}

// waitText is a wait as a person says it: "30 s", "2 min", "1 h".
func waitText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(max(d.Round(time.Second), time.Second)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	}
	return fmt.Sprintf("%d h", int(d.Round(time.Hour)/time.Hour))
}
