package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/modelfetch/modelfetch/downloader/catalog"
	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/instance"
)

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

// hubOffline answers a get of a Hub name under HF_HUB_OFFLINE without the
// network, as `hf download` does offline: the files the Hub cache holds,
// or the Hub client's sentence naming the variable. ok is false when the
// get is not of one Hub name into the cache, or the variable is not set.
func hubOffline(ctx context.Context, env instance.Env, g *getArgs) (code int, ok bool) {
	c := env.HubClient()
	if c == nil || !c.Offline() || g.ask.Model == "" || g.ask.Dir != "" {
		return 0, false
	}
	o := hf.Options{Endpoint: c.Endpoint(), Revision: g.ask.Revision, Include: g.ask.Include, Exclude: g.ask.Exclude}
	ref, ok, err := parseHub(env.Catalog, g.ask.Model, o)
	if !ok || err != nil {
		return 0, false
	}
	if code, _ := hubPath(env, g.ask.Model, o); code == 0 {
		return 0, true
	}
	_, err = c.Resolve(ctx, ref) // offline: the variable's sentence, no request
	return env.Fail(err), true
}

// hubPath prints the cached files of a Hub name without the network, as
// hf_hub_download(..., local_files_only=True) finds them; ok is false
// when name is not a Hub name.
func hubPath(env instance.Env, name string, o hf.Options) (code int, ok bool) {
	o.Endpoint = env.Getenv.Endpoint()
	ref, ok, err := parseHub(env.Catalog, name, o)
	if !ok {
		return 0, false
	}
	if err != nil {
		return env.Fail(err), true
	}
	_, paths, err := hf.Cache{Dir: env.Getenv.CacheDir()}.Lookup(ref)
	if errors.Is(err, hf.ErrNotCached) {
		return 1, true
	}
	if err != nil {
		return env.Fail(err), true
	}
	for _, p := range paths {
		fmt.Fprintln(env.Stdout, filepath.Clean(p))
	}
	return 0, true
}
