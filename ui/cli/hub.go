package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/modelfetch/modelfetch/downloader/catalog"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/hf"
)

// hubGetenv is where the Hub's settings come from: HF_ENDPOINT, HF_HOME,
// HF_HUB_CACHE, HF_TOKEN and the token file, as the hf CLI reads them.
var hubGetenv hf.Getenv = os.Getenv

// HubHTTPClient is the engine's client with the Hub's token added to
// requests for the Hub's own origin only, never to its CDN; its Transport
// is a *HubTransport. A token file that cannot be read is reported when a
// Hub name is fetched.
func HubHTTPClient(g hf.Getenv) *http.Client {
	tok, _ := hf.LoadToken(g)
	return downloader.NewClientWith(func(rt http.RoundTripper) http.RoundTripper {
		t := &HubTransport{base: rt, endpoint: g.Endpoint()}
		t.SetToken(tok)
		return t
	})
}

// HubTransport is hf.NewTransport whose token can change while the
// engine runs, when a person saves another in the window's settings, and
// whose base can change when the proxy or CA settings do.
type HubTransport struct {
	endpoint string
	mu       sync.Mutex // guards base and token, which make current
	base     http.RoundTripper
	token    hf.Token
	current  atomic.Pointer[http.RoundTripper]
}

var _ downloader.WrappedTransport = (*HubTransport)(nil)

// SetToken makes t the token of the requests that follow.
func (h *HubTransport) SetToken(t hf.Token) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.token = t
	h.remake()
}

// Base is the transport beneath the token.
func (h *HubTransport) Base() http.RoundTripper {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.base
}

// SetBase makes rt the transport beneath the token for the requests that
// follow.
func (h *HubTransport) SetBase(rt http.RoundTripper) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.base = rt
	h.remake()
}

// remake makes the transport requests use from base and token. h.mu is
// held.
func (h *HubTransport) remake() {
	rt := hf.NewTransport(h.base, h.endpoint, h.token)
	h.current.Store(&rt)
}

// RoundTrip sends req with the current token's transport.
func (h *HubTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return (*h.current.Load()).RoundTrip(req)
}

// hubConfig is the engine's default configuration with the Hub's client.
func hubConfig() downloader.Config {
	cfg := downloader.DefaultConfig()
	cfg.Client = HubHTTPClient(hubGetenv)
	return cfg
}

// listFlag is a flag that may be given more than once.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// hubArgs are get's Hub flags.
type hubArgs struct {
	revision         string
	include, exclude listFlag
	dir              string // --dir: plain files under it instead of the Hub cache
}

// hubGet is a get of a Hub name: the fetch of its files, finished once
// it has succeeded.
type hubGet struct{ fetch hf.Fetch }

// parseHub reads name as a Hub name, unless it is a catalog model's id or
// not a Hub name at all (ok is false then).
func parseHub(models []catalog.Model, name string, o hf.Options) (hf.Ref, bool, error) {
	if m, ok := catalog.Find(models, name); ok {
		if m.HF == "" {
			return hf.Ref{}, false, nil
		}
		name, o.Include = m.HubName(), append(o.Include, m.Include...)
	}
	ref, err := hf.Parse(name, o)
	if errors.Is(err, hf.ErrNotHub) {
		return hf.Ref{}, false, nil
	}
	return ref, true, err
}

// hubTarget resolves a single Hub name into the target of its files, laid
// out in the Hub cache or under --dir; ok is false for anything else.
func hubTarget(ctx context.Context, models []catalog.Model, args []string, h hubArgs) (target, *hubGet, error) {
	if len(args) != 1 {
		return target{}, nil, nil
	}
	client, err := hf.FromEnv(hubGetenv, nil)
	if err != nil {
		return target{}, nil, err
	}
	ref, ok, err := parseHub(models, args[0], hf.Options{Endpoint: client.Endpoint(), Revision: h.revision, Include: h.include, Exclude: h.exclude})
	if !ok || err != nil {
		return target{}, nil, err
	}
	plan, err := client.Resolve(ctx, ref)
	if err != nil {
		return target{}, nil, err
	}
	var layout hf.Layout = hf.Cache{Dir: hubGetenv.CacheDir()}
	if h.dir != "" {
		layout = hf.Dir{Dir: h.dir}
	}
	f, err := hf.NewFetch(plan, plan.Files, layout)
	if err != nil {
		return target{}, nil, err
	}
	return target{id: f.ID, title: f.Title, requests: f.Requests}, &hubGet{fetch: f}, nil
}

// hubFailed says why the Hub name could not be resolved and returns the
// exit code. Under HF_HUB_OFFLINE, a name the Hub cache holds is printed
// instead, as `hf download` answers offline.
func hubFailed(env Env, name string, h hubArgs, err error) int {
	if he := (*hf.Error)(nil); errors.As(err, &he) && he.Kind == hf.KindOfflineMode && h.dir == "" {
		if code, _ := hubPath(env, name, hf.Options{Revision: h.revision, Include: h.include, Exclude: h.exclude}); code == 0 {
			return 0
		}
	}
	return fail(env, err)
}

// hubPath prints the cached files of a Hub name without the network, as
// hf_hub_download(..., local_files_only=True) finds them; ok is false
// when name is not a Hub name.
func hubPath(env Env, name string, o hf.Options) (code int, ok bool) {
	o.Endpoint = hubGetenv.Endpoint()
	ref, ok, err := parseHub(env.Catalog, name, o)
	if !ok {
		return 0, false
	}
	if err != nil {
		return fail(env, err), true
	}
	_, paths, err := hf.Cache{Dir: hubGetenv.CacheDir()}.Lookup(ref)
	if errors.Is(err, hf.ErrNotCached) {
		return 1, true
	}
	if err != nil {
		return fail(env, err), true
	}
	for _, p := range paths {
		fmt.Fprintln(env.Stdout, filepath.Clean(p))
	}
	return 0, true
}
