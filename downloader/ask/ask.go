// Package ask turns what a client asks for (a model of the catalog, a
// Hugging Face name, or URLs) into the engine's fetch: its id, requests
// and options. It is the one place where model ids and Hub names are
// resolved: the local API resolves what its clients send with it, the
// command line with it when it runs the engine itself (and sends the Ask
// to a running engine otherwise), and the window with it.
package ask

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/modelfetch/modelfetch/downloader/catalog"
	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/hf"
)

// Ask is what a client asks for: one model (a catalog id, or a Hugging
// Face name with the hf CLI's revision, include and exclude), or the
// requests of files, with the fetch's options. It is the local API's
// create body.
type Ask struct {
	// ID is the fetch's id; "" lets the model's id, or the engine (from
	// the URLs), name it.
	ID       string          `json:"id,omitempty"`
	Model    string          `json:"model,omitempty"`
	Requests []fetch.Request `json:"requests,omitempty"`
	// Revision, Include and Exclude go with a Hugging Face name as model,
	// as the hf CLI's flags of those names.
	Revision string   `json:"revision,omitempty"`
	Include  []string `json:"include,omitempty"`
	Exclude  []string `json:"exclude,omitempty"`
	// For lists the apps a Hub model's files are made available to once
	// verified ("ollama", "lmstudio", "jan", "gpt4all"; fetch.Request.Share).
	For []string `json:"for,omitempty"`
	fetch.Options
}

// Fetch is an Ask resolved: the engine's arguments.
type Fetch struct {
	ID       string // "": the engine makes one from the URLs
	Requests []fetch.Request
	Options  fetch.Options
	// Picked is the quantization taken for a Hugging Face name that named
	// none (hf.co/ORG/REPO), so that a client can say which; "" otherwise.
	Picked string
}

// Resolver resolves Asks against a catalog and a Hub.
type Resolver struct {
	Catalog []catalog.Model
	// Hub is the Hub client of the moment (its token may change); nil,
	// or returning nil, when Hugging Face names are not known.
	Hub func() *hf.Client
	// HubCache is where a Hub name's files go without a Dir.
	HubCache string
	// Place is the engine's rule for a path a client names
	// (downloader.Manager.Place): a Dir is checked with it before a Hub
	// layout writes anything there. Nil checks nothing.
	Place func(path string) (string, error)
}

// Error is an Ask that cannot be resolved, in its own words.
type Error struct {
	words   string
	unknown bool // the model is neither in the catalog nor a Hub name
}

func (e *Error) Error() string    { return "ask: " + e.words }
func (e *Error) Sentence() string { return e.words }

// Is matches ErrUnknownModel for a model nobody knows.
func (e *Error) Is(target error) bool { return e.unknown && target == ErrUnknownModel }

// ErrUnknownModel is matched by the Error for a model that is neither in
// the catalog nor a Hugging Face name.
var ErrUnknownModel = errors.New("unknown model")

// Resolve turns a into the engine's arguments: a catalog model's files,
// a Hub name's files of one commit laid out in the Hub cache (or under
// the Ask's Dir as `hf download --local-dir` puts them), or the Ask's own
// requests.
func (r Resolver) Resolve(ctx context.Context, a Ask) (Fetch, error) {
	switch {
	case a.Model != "" && len(a.Requests) > 0:
		return Fetch{}, &Error{words: "Give either a model or files, not both."}
	case a.Model == "" && len(a.Requests) == 0:
		return Fetch{}, &Error{words: "Name a model or at least one file to download."}
	case a.Model == "":
		return Fetch{ID: a.ID, Requests: a.Requests, Options: a.Options}, nil
	}
	m, ok := catalog.Find(r.Catalog, a.Model)
	if ok && m.HF == "" {
		opts := a.Options
		opts.Title, opts.Icon = cmp.Or(opts.Title, m.Title), cmp.Or(opts.Icon, m.Icon)
		return Fetch{ID: cmp.Or(a.ID, m.ID), Requests: m.Requests(), Options: opts}, nil
	}
	if ok {
		a.Model, a.Include = m.HubName(), append(a.Include, m.Include...)
		a.Title, a.Icon = cmp.Or(a.Title, m.Title), cmp.Or(a.Icon, m.Icon)
	}
	return r.hub(ctx, a)
}

// hubName reports whether w is a Hub name or address of the Resolver's
// Hub.
func (r Resolver) hubName(w string) bool {
	_, err := hf.Parse(w, hf.Options{Endpoint: r.endpoint()})
	return !errors.Is(err, hf.ErrNotHub)
}

// endpoint is the Resolver's Hub's address, the Hub's own when it has
// none.
func (r Resolver) endpoint() string {
	if r.Hub != nil {
		if c := r.Hub(); c != nil {
			return c.Endpoint()
		}
	}
	return hf.DefaultEndpoint
}

// hub resolves a Hub name.
func (r Resolver) hub(ctx context.Context, a Ask) (Fetch, error) {
	var c *hf.Client
	if r.Hub != nil {
		c = r.Hub()
	}
	if c == nil {
		return Fetch{}, &Error{fmt.Sprintf("There is no model %q in the catalog, and Hugging Face names are not available here.", a.Model), true}
	}
	ref, err := hf.Parse(a.Model, hf.Options{Endpoint: c.Endpoint(), Revision: a.Revision, Include: a.Include, Exclude: a.Exclude})
	if errors.Is(err, hf.ErrNotHub) {
		return Fetch{}, &Error{fmt.Sprintf("There is no model %q in the catalog, and it is not a Hugging Face name such as hf.co/ORG/REPO.", a.Model), true}
	}
	if err != nil {
		return Fetch{}, err
	}
	var plan hf.Plan
	_, err = c.WithoutRefused(func(c *hf.Client) (err error) {
		plan, err = c.Resolve(ctx, ref)
		return err
	})
	if err != nil {
		return Fetch{}, err
	}
	var layout hf.Layout = hf.Cache{Dir: r.HubCache}
	if a.Dir != "" && r.Place != nil {
		if a.Dir, err = r.Place(a.Dir); err != nil {
			return Fetch{}, err
		}
	}
	if a.Dir != "" {
		layout = hf.Dir{Dir: a.Dir}
	}
	f, err := hf.NewFetch(plan, plan.Files, layout)
	if err != nil {
		return Fetch{}, err
	}
	for i := range f.Requests {
		f.Requests[i].Share = a.For
	}
	opts := a.Options
	opts.Title = cmp.Or(opts.Title, f.Title)
	return Fetch{ID: cmp.Or(a.ID, f.ID), Requests: f.Requests, Options: opts, Picked: plan.Picked}, nil
}

// Words turns the words of a command line (catalog ids, Hub names, URLs)
// into one Ask: a single model or Hub name (a Hub address included) is
// the Ask's model; URLs and catalog models of URLs together are its
// requests.
func (r Resolver) Words(words []string) (Ask, error) {
	if len(words) == 1 && (!strings.Contains(words[0], "://") || r.hubName(words[0])) {
		return Ask{Model: words[0]}, nil
	}
	var a Ask
	for _, w := range words {
		if m, ok := catalog.Find(r.Catalog, w); ok && m.HF == "" {
			a.Requests = append(a.Requests, m.Requests()...)
			continue
		}
		if !strings.Contains(w, "://") {
			return Ask{}, &Error{words: fmt.Sprintf("The word %q is neither a URL nor a model of the catalog with files of its own; download a Hugging Face name on its own.", w)}
		}
		a.Requests = append(a.Requests, fetch.Request{URL: w})
	}
	return a, nil
}

// Cached finds the files of a's model, a Hugging Face name or a catalog
// model that names a Hub repo, in the Hub cache without the network, as
// huggingface_hub's hf_hub_download(..., local_files_only=True) does. ok
// is false when a's model is not a Hub name; hf.ErrNotCached says the
// cache holds none of its files.
func (r Resolver) Cached(a Ask) (paths []string, ok bool, err error) {
	if m, found := catalog.Find(r.Catalog, a.Model); found {
		if m.HF == "" {
			return nil, false, nil
		}
		a.Model, a.Include = m.HubName(), append(a.Include, m.Include...)
	}
	if !r.hubName(a.Model) {
		return nil, false, nil
	}
	ref, err := hf.Parse(a.Model, hf.Options{Endpoint: r.endpoint(), Revision: a.Revision, Include: a.Include, Exclude: a.Exclude})
	if err != nil {
		return nil, true, err
	}
	_, paths, err = hf.Cache{Dir: r.HubCache}.Lookup(ref)
	return paths, true, err
}
