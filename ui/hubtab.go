package ui

import (
	"strings"

	"github.com/modelfetch/modelfetch/downloader/catalog"

	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"github.com/modelfetch/modelfetch/downloader/hf"
)

// withHub puts the Hugging Face tab beside the catalog's models when the
// window has a Hub.
func (u *UI) withHub(models fyne.CanvasObject) fyne.CanvasObject {
	if u.opts.Hub == nil {
		return models
	}
	u.hubClient.Store(u.opts.Hub)
	u.hub = NewHubView(u.opts.Hub, u.opts.HubLayout, u.downloadHub)
	u.hub.do = u.opts.Do
	u.hub.query.keys = u
	u.places = container.NewAppTabs(container.NewTabItem("Models", models), container.NewTabItem("Hugging Face", u.hub))
	return u.places
}

// openHub opens a Hub name in the Hugging Face tab, and reports whether
// arg was one.
func (u *UI) openHub(arg string) bool {
	if u.hub == nil {
		return false
	}
	if _, err := hf.Parse(arg, hf.Options{Endpoint: u.opts.Hub.Endpoint()}); err != nil {
		return false
	}
	return u.ShowHub(arg)
}

// openHubModel opens a catalog model named by a Hub repo in the Hugging
// Face tab, its files ticked, for the person to download.
func (u *UI) openHubModel(m catalog.Model) {
	if u.hub == nil {
		u.showProblem("Cannot download "+m.Title, "This model comes from Hugging Face, which this window cannot reach.")
		return
	}
	ref, err := hf.Parse(m.HubName(), hf.Options{Endpoint: u.opts.Hub.Endpoint(), Include: m.Include})
	if err != nil {
		u.showProblem("Cannot download "+m.Title, words.Sentence(err))
		return
	}
	u.places.SelectIndex(1)
	u.hub.openRepo(ref)
}

// downloadHub starts the fetch of the chosen files of a Hub plan, laid
// out as the command line and the local API lay them out (hf.NewFetch),
// through Ensure like every download: asking again for files being
// fetched joins that fetch, and resumes it if paused. The engine finishes
// it (links and metadata are part of its requests).
func (u *UI) downloadHub(plan hf.Plan, files []hf.File) {
	f, err := hf.NewFetch(plan, files, u.opts.HubLayout)
	if err == nil {
		_, _, err = u.m.Ensure(f.ID, f.Requests, fetch.Options{Title: f.Title})
	}
	u.refresh()
	if err != nil {
		u.showProblem("Cannot download from "+plan.Repo, words.Sentence(err))
	}
}

// newTokenEntry is Settings' "Hugging Face token" field: it never shows
// the token in use, only says where it comes from.
func (u *UI) newTokenEntry() *formEntry {
	e := newFormEntry(u, false)
	e.Password = true
	e.SetPlaceHolder("Unchanged")
	if u.opts.Hub != nil && !u.opts.Hub.Token().Set() {
		e.SetPlaceHolder("hf_… (for gated and private models)")
	}
	return e
}

// saveToken writes a token typed in Settings to the token file the hf CLI
// uses (0600) and gives it to the Hub tab and the engine at once. An
// empty field leaves the token as it is.
func (u *UI) saveToken(value string) error {
	value = strings.TrimSpace(value)
	if value == "" || u.opts.Hub == nil {
		return nil
	}
	if err := hf.SaveToken(u.opts.HubTokenPath, value); err != nil {
		return err
	}
	tok := hf.NewToken(value, u.opts.HubTokenPath)
	c, err := hf.New(hf.Config{Endpoint: u.opts.Hub.Endpoint(), Token: tok, Offline: u.opts.Hub.Offline()})
	if err != nil {
		return err
	}
	u.opts.Hub = c
	u.hubClient.Store(c)
	u.hub.SetClient(c)
	if u.opts.HubToken != nil {
		u.opts.HubToken(tok)
	}
	return nil
}

// HubClient is the Hub's client with the token in use now, nil when the
// window has no Hub; the local API resolves Hub names with it, so that a
// token saved in Settings applies to them at once. Safe on any goroutine.
func (u *UI) HubClient() *hf.Client { return u.hubClient.Load() }

// ShowHub selects the Hugging Face tab and gives text to its search field,
// as typing it there does; false when the window has no Hub.
func (u *UI) ShowHub(text string) bool {
	if u.hub == nil {
		return false
	}
	u.places.SelectIndex(1)
	u.hub.Open(text)
	return true
}
