package ui

import (
	"context"
	"net/http"
	"strings"
	"unicode"

	"github.com/modelfetch/modelfetch/downloader/catalog"

	"github.com/modelfetch/modelfetch/downloader/words"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

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
	u.hub.transport = u.opts.Settings.Wrap(http.DefaultTransport) // the proxy and CA file of Settings
	if u.opts.HubEngine != nil {
		// A download went on without a refused token: say so where the
		// token is said (UI.Stop ends the calls).
		u.opts.HubEngine.OnRefused(func(tok hf.Token) { u.opts.Do(func() { u.hub.Refused(tok) }) })
	}
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

// settingsToken is where the token Settings saves comes from, as every
// sentence about it says: "the token from Settings". It is the token file
// the hf CLI writes too, but a person who typed it in Settings looks for
// it there.
const settingsToken = "Settings"

// fromSettings is t named as Settings' when it was read from the token
// file Settings writes.
func fromSettings(t hf.Token, tokenPath string) hf.Token {
	if t.Set() && t.From == tokenPath {
		t.From = settingsToken
	}
	return t
}

// tokenField is Settings' "Hugging Face token": a field that never shows
// the token in use, what the Hub said of it, and Remove.
type tokenField struct {
	entry  *formEntry
	state  *widget.Label
	remove *widget.Button
	root   fyne.CanvasObject
}

// newTokenField is the token's row of Settings. A token from the
// environment (HF_TOKEN) wins over the file: the field then says so, and
// cannot change it.
func (u *UI) newTokenField() *tokenField {
	f := &tokenField{entry: newFormEntry(u, false), state: wrapped(widget.NewLabel(""))}
	f.entry.Password = true
	f.state.SizeName = theme.SizeNameCaptionText
	f.remove = widget.NewButton("Remove", u.removeToken)
	f.root = container.NewVBox(container.NewBorder(nil, nil, nil, f.remove, f.entry), f.state)
	u.showToken(f)
	return f
}

// showToken says which token is in use, and offers what can be done.
func (u *UI) showToken(f *tokenField) {
	tok := u.opts.Hub.Token()
	env := tok.Set() && tok.From != settingsToken
	f.entry.SetPlaceHolder("hf_… (for gated and private models)")
	switch {
	case env:
		f.entry.SetPlaceHolder("Set by " + tok.From)
		f.entry.Disable()
	case tok.Set():
		f.entry.SetPlaceHolder("Saved (type a new one to replace it)")
	}
	f.state.SetText(tokenState(tok, u.hubUser))
	showIf(f.remove, tok.Set() && !env)
}

// tokenState says what is known of the token in use.
func tokenState(tok hf.Token, user string) string {
	switch {
	case !tok.Set():
		return "No token: public models download without one."
	case tok.From != settingsToken:
		return "The token from " + tok.From + " is used; change or unset it there."
	case user != "":
		return "Signed in as " + user + "."
	}
	return "A token is saved; it is checked with the Hub when you save a new one."
}

// checkToken asks the Hub whose the typed token is, on a goroutine of its
// own, and calls done on the UI goroutine with the token and the
// account's name, or what went wrong. ctx ends the question.
func (u *UI) checkToken(ctx context.Context, typed string, done func(hf.Token, string, error)) error {
	tok := hf.NewToken(typed, settingsToken)
	if strings.ContainsFunc(strings.TrimSpace(typed), unicode.IsSpace) {
		return &mistake{kind: tokenSpace}
	}
	c, err := u.hubClientWith(tok)
	if err != nil {
		return err
	}
	go func() {
		name, err := c.WhoAmI(ctx)
		if ctx.Err() == nil {
			u.opts.Do(func() { done(tok, name, err) })
		}
	}()
	return nil
}

// hubClientWith is the window's Hub client with tok instead.
func (u *UI) hubClientWith(tok hf.Token) (*hf.Client, error) {
	return hf.New(hf.Config{Endpoint: u.opts.Hub.Endpoint(), Token: tok, Offline: u.opts.Hub.Offline(), Transport: u.hub.transport})
}

// saveToken writes a checked token to the token file the hf CLI uses
// (0600) and gives it to the Hub tab and the engine at once.
func (u *UI) saveToken(tok hf.Token, value, user string) error {
	if err := hf.SaveToken(u.opts.HubTokenPath, value); err != nil {
		return err
	}
	return u.useToken(tok, user)
}

// removeToken deletes the saved token: public models download without
// one, gated ones ask for it again.
func (u *UI) removeToken() {
	err := hf.SaveToken(u.opts.HubTokenPath, "")
	if err == nil {
		err = u.useToken(hf.Token{}, "")
	}
	if f := u.setup; f != nil && f.token != nil {
		u.showToken(f.token)
		if err != nil {
			f.say(err)
		}
	}
}

// useToken makes tok the token of the Hub tab, the local API and the
// engine.
func (u *UI) useToken(tok hf.Token, user string) error {
	c, err := u.hubClientWith(tok)
	if err != nil {
		return err
	}
	u.opts.Hub, u.hubUser = c, user
	u.hubClient.Store(c)
	u.hub.SetClient(c, user)
	if u.opts.HubEngine != nil {
		u.opts.HubEngine.SetToken(tok)
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
