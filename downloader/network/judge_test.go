package network

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// view is a Watcher with the system view injected: Status says status,
// Check says checked.
type view struct {
	status, checked Status
	checks          int
}

func (v *view) Status(context.Context) Status { return v.status }
func (v *view) Check(context.Context) Status {
	v.checks++
	return v.checked
}
func (v *view) Changes() <-chan Status { return nil }

func TestJudge(t *testing.T) {
	refusedURL := "http://" + origintest.ClosedAddr(t) + "/model.gguf"
	refused := do(t, http.DefaultClient, refusedURL)
	online := Status{State: Online, Source: FromRoutes}
	offline := Status{State: Offline, Source: FromRoutes}
	portal := Status{State: Portal, PortalURL: "http://portal.test/login", Source: FromNetworkManager}
	loop := &Error{Kind: RedirectLoop, Host: "hub.test", URL: "https://hub.test/a"}
	for _, tc := range []struct {
		name          string
		err           error
		status, check Status
		want          Kind
		action        Action
		checks        int
		url           string
	}{
		{"refused, online", refused, online, online, ServerNotAnswering, Retry, 1, ""},
		{"refused, online by routes but every lookup fails", refused, online, Status{State: Offline, Source: FromLookups}, Disconnected, Wait, 1, ""},
		{"refused, offline", refused, offline, offline, Disconnected, Wait, 0, ""},
		{"refused, portal", refused, portal, portal, CaptivePortal, Wait, 0, "http://portal.test/login"},
		{"redirect loop, online", loop, online, offline, RedirectLoop, Fail, 0, "https://hub.test/a"},
		{"redirect loop, portal", loop, portal, portal, CaptivePortal, Wait, 0, "http://portal.test/login"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := &view{status: tc.status, checked: tc.check}
			e := Judge(t.Context(), v, tc.err, refusedURL)
			if e == nil || e.Kind != tc.want || e.Kind.Action() != tc.action {
				t.Fatalf("got %v, want a %v that makes the policy %v", e, tc.want, tc.action)
			}
			if tc.url != "" && e.URL != tc.url {
				t.Errorf("URL = %q, want %q", e.URL, tc.url)
			}
			if !errors.Is(e, tc.err) {
				t.Errorf("%v lost its cause %v", e, tc.err)
			}
			if v.checks != tc.checks {
				t.Errorf("Check asked %d times, want %d", v.checks, tc.checks)
			}
		})
	}
	if e := Judge(t.Context(), &view{status: offline}, context.Canceled, refusedURL); e != nil {
		t.Errorf("a cancelled attempt is judged %v, want nil", e)
	}
}
