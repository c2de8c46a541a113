package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/modelfetch/modelfetch/downloader/catalog"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/modelfetch/modelfetch/downloader/hf"
)

// hubModel resolves a create's model as a Hugging Face name, or as the
// catalog's model m that names a Hub repo: its files go to the Hub cache,
// or as plain files under the request's dir (checked by the dir rule) as
// `hf download --local-dir` puts them.
func (s *Server) hubModel(ctx context.Context, req CreateRequest) ([]fetch.Request, string, fetch.Options, *hf.Fetch, error) {
	if m, ok := catalog.Find(s.opts.Catalog, req.Model); ok {
		req.Model, req.Include = m.HubName(), append(req.Include, m.Include...)
		req.Title = cmp.Or(req.Title, m.Title)
	}
	opts := req.Options
	notFound := refusal(fmt.Sprintf("There is no model %q in the catalog (see GET /v1/catalog), and it is not a Hugging Face name.", req.Model))
	var hub *hf.Client
	if s.opts.Hub != nil {
		hub = s.opts.Hub()
	}
	if hub == nil {
		return nil, "", opts, nil, notFound
	}
	ref, err := hf.Parse(req.Model, hf.Options{Endpoint: hub.Endpoint(), Revision: req.Revision, Include: req.Include, Exclude: req.Exclude})
	if errors.Is(err, hf.ErrNotHub) {
		return nil, "", opts, nil, notFound
	}
	var layout hf.Layout = hf.Cache{Dir: s.opts.HubCache}
	if opts.Dir != "" {
		dir, err := s.dirs.check(opts.Dir)
		if err != nil {
			return nil, "", opts, nil, err
		}
		layout, opts.Dir = hf.Dir{Dir: dir}, dir
	}
	var plan hf.Plan
	if err == nil {
		plan, err = hub.Resolve(ctx, ref)
	}
	if err != nil {
		return nil, "", opts, nil, err
	}
	f, err := hf.NewFetch(plan, plan.Files, layout)
	if err != nil {
		return nil, "", opts, nil, err
	}
	opts.Title = cmp.Or(opts.Title, f.Title)
	return f.Requests, cmp.Or(req.ID, f.ID), opts, &f, nil
}

// finishHub finishes the Hub fetch id once it has succeeded, as the CLI
// does after a get (the metadata of a dir), until the server stops.
func (s *Server) finishHub(f hf.Fetch, id string) {
	s.mu.Lock()
	ctx := s.ctx
	s.mu.Unlock()
	s.finishing.Add(1)
	go func() {
		defer s.finishing.Done()
		if err := f.FinishWhenDone(ctx, s.m, id); err != nil && ctx.Err() == nil {
			s.opts.Logger.Warn("finishing a Hugging Face download", "id", id, "err", err)
		}
	}()
}

// urlModel is the catalog's model id when its files are URLs; a model
// naming a Hub repo is resolved by hubModel.
func (s *Server) urlModel(id string) (catalog.Model, bool) {
	m, ok := catalog.Find(s.opts.Catalog, id)
	return m, ok && m.HF == ""
}

// checkRequest is Request.Validate, and refuses a request's dest and
// links outside the folders a client may write to: the dir rule's, and
// the Hub cache.
func (s *Server) checkRequest(q fetch.Request) error {
	if err := q.Validate(); err != nil {
		return err
	}
	for _, p := range append([]string{q.Dest}, q.Links...) {
		if p == "" {
			continue
		}
		if !filepath.IsAbs(p) {
			return &DirError{p, "it is not an absolute path"}
		}
		if s.opts.HubCache != "" && within(filepath.Clean(p), filepath.Clean(s.opts.HubCache)) {
			continue
		}
		if _, err := s.dirs.check(filepath.Dir(p)); err != nil {
			return err
		}
	}
	return nil
}
