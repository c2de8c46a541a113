package network

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"HTTP://cdn.example/blob?sig=s3cr3t", "HTTP://cdn.example/blob?…"},
		{"Https://bucket.s3.example/k?X-Amz-Signature=s3cr3t&X-Amz-Credential=AKIAs3cr3t", "Https://bucket.s3.example/k?…"},
		{"resolve https://cdn.example/a?token=s3cr3t failed, then hTTp://cdn.example/b?Sig=s3cr3t", "resolve https://cdn.example/a?… failed, then hTTp://cdn.example/b?…"},
		{"http://user:s3cr3t@proxy.example:3128", "http://user:***@proxy.example:3128"},
		{"HTTP://User:s3cr3t@proxy.example:3128/", "HTTP://User:***@proxy.example:3128/"},
		{"socks5h://user:p@ss:s3cr3t@proxy.example:1080", "socks5h://user:***@proxy.example:1080"},
		{"https://hf_s3cr3t@huggingface.co/org/repo", "https://***@huggingface.co/org/repo"},
		{"https://user:s3cr3t@cdn.example/f?sig=s3cr3t#s3cr3t", "https://user:***@cdn.example/f?…"},
		{"https://portal.example/login#token=s3cr3t", "https://portal.example/login#…"},
		{`Get "https://cdn.example/f?sig=s3cr3t": EOF`, `Get "https://cdn.example/f?…": EOF`},
		{`err="Get \"https://cdn.example/f?sig=s3cr3t\": EOF"`, `err="Get \"https://cdn.example/f?…\": EOF"`},
		{"<https://cdn.example/f?sig=s3cr3t>", "<https://cdn.example/f?…>"},
		{"https://cdn.example/f/@v1/x", "https://cdn.example/f/@v1/x"},
		{"mail me@example.org, or ask? no", "mail me@example.org, or ask? no"},
		{"https://huggingface.co/org/repo/resolve/main/model.gguf", "https://huggingface.co/org/repo/resolve/main/model.gguf"},
		{"", ""},
	} {
		got := Redact(tc.in)
		if got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, "s3cr3t") {
			t.Errorf("Redact(%q) keeps a secret: %q", tc.in, got)
		}
	}
}

// TestSentenceRedacts: a sentence that quotes an address quotes it
// without its query and without a password.
func TestSentenceRedacts(t *testing.T) {
	for _, e := range []*Error{
		{Kind: UnsafeRedirect, Host: "cdn.example", URL: "FTP://cdn.example/f?sig=s3cr3t"},
		{Kind: Downgrade, Host: "cdn.example", URL: "HTTP://cdn.example/f?X-Amz-Signature=s3cr3t"},
		{Kind: RedirectLoop, Host: "cdn.example", URL: "https://cdn.example/f?token=s3cr3t"},
		{Kind: TooManyRedirects, Host: "cdn.example", URL: "https://cdn.example/f?token=s3cr3t"},
		{Kind: CaptivePortal, URL: "http://portal.example/login?session=s3cr3t"},
		{Kind: BadProxySetting, URL: "ftp://user:s3cr3t@proxy.example:21"},
	} {
		if s := Sentence(e, 0); strings.Contains(s, "s3cr3t") || s == "" {
			t.Errorf("Sentence(%v) = %q, keeping a secret", e.Kind, s)
		}
	}
}
