package network

import (
	"regexp"
	"strings"
)

// webAddress is an address with a scheme, anywhere in a text: the
// scheme (any case: "HTTP://" is as good as "http://" to a client), the
// user information before the host (up to the last "@" of the
// authority), the host and path, and the query or fragment. Each part
// ends at a space, a quote or a backslash, so that an address quoted in a
// log line (`err="Get \"https://…\""`) ends where its quotes do.
var webAddress = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.\-]*://)(?:([^\s"'\\/?#<>]*)@)?([^\s"'\\?#<>]*)([?#][^\s"'\\<>]*)?`)

// Redact is s with the secrets that web addresses carry taken out: a
// query or fragment becomes "?…" or "#…" (a signed CDN address carries
// its signature there, X-Amz-Signature, sig, token), and user information
// becomes "user:***@" (a proxy's password), or "***@" where there is no
// password (the user is then often a token, as in https://TOKEN@host).
// The scheme is matched in any case. The log and every sentence that
// quotes an address use it.
func Redact(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range webAddress.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(s[last:m[2]])
		b.WriteString(s[m[2]:m[3]]) // the scheme
		if m[4] >= 0 {              // user information
			if name, _, ok := strings.Cut(s[m[4]:m[5]], ":"); ok {
				b.WriteString(name + ":***@")
			} else {
				b.WriteString("***@")
			}
		}
		b.WriteString(s[m[6]:m[7]]) // host and path
		if m[8] >= 0 {              // query or fragment
			b.WriteString(s[m[8]:m[8]+1] + "…")
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}
