package ui

import (
	"context"
	"errors"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/instance"
	"github.com/modelfetch/modelfetch/downloader/network"
	"github.com/modelfetch/modelfetch/downloader/words"
)

// Preference keys. They are part of the user's saved settings: renaming
// one forgets what people chose. The network's settings were kept here
// before every process read them from one file (instance.Store); the old
// keys are read once, to carry them over.
const (
	prefFolder   = "download.folder"
	prefParallel = "download.parallel"
	prefLimit    = "download.limit"       // bytes per second, 0 for none
	prefConns    = "download.connections" // per file, 0 for automatic
	prefMetered  = "network.pauseMetered" // before instance.Store
	prefProxy    = "network.proxy"        // before instance.Store
	prefCAFile   = "network.caFile"       // before instance.Store
)

// connChoices are the connection counts offered; automatic lets the engine
// add connections while the rate grows, up to its cap.
var connChoices = []string{"Automatic", "1", "2", "4", "8", "16"}

// maxParallel bounds the parallel downloads a person can choose: more only
// splits the same bandwidth further.
const maxParallel = 8

// settings are what the person chose in the settings dialog.
type settings struct {
	dir      string // where new downloads go
	parallel int    // files downloading at once
	conns    int    // connections per file; 0 is automatic
	limit    int64  // bytes per second over all downloads; 0 is none
	metered  bool   // pause downloads on metered connections
	net      network.Settings
	shareNew []string // the apps every new Hub model is made available to (apps.Keys)
}

// loadSettings reads the settings once, falling back to the engine's
// defaults for anything missing or out of range: the window's own from
// p, the ones every process follows from store.
func loadSettings(p fyne.Preferences, store *instance.Store, modelsDir string) settings {
	s := settings{
		dir:      p.StringWithFallback(prefFolder, modelsDir),
		parallel: p.IntWithFallback(prefParallel, downloader.DefaultConfig().MaxActive),
		conns:    p.IntWithFallback(prefConns, 0),
		limit:    int64(p.IntWithFallback(prefLimit, 0)),
		metered:  store.Settings().PauseMetered,
		net:      store.Settings().Network,
		shareNew: store.Settings().ShareNew,
	}
	if s.conns < 0 || s.conns > 64 {
		s.conns = 0
	}
	if s.dir == "" {
		s.dir = modelsDir
	}
	if s.parallel < 1 || s.parallel > maxParallel {
		s.parallel = downloader.DefaultConfig().MaxActive
	}
	s.limit = max(s.limit, 0)
	return s
}

// carryOver moves network settings kept in p by an older ModelFetch to
// store, once, so that every process follows them.
func carryOver(p fyne.Preferences, store *instance.Store) {
	old := instance.Settings{Network: network.Settings{Proxy: p.String(prefProxy), CAFile: p.String(prefCAFile)}, PauseMetered: p.Bool(prefMetered)}
	if old.Network == (network.Settings{}) && !old.PauseMetered || store == nil || !reflect.DeepEqual(store.Settings(), instance.Settings{}) {
		return
	}
	if store.Save(old) == nil {
		p.RemoveValue(prefProxy)
		p.RemoveValue(prefCAFile)
		p.RemoveValue(prefMetered)
	}
}

// save keeps the window's own settings in p.
func (s settings) save(p fyne.Preferences) {
	p.SetString(prefFolder, s.dir)
	p.SetInt(prefParallel, s.parallel)
	p.SetInt(prefConns, s.conns)
	p.SetInt(prefLimit, int(s.limit))
}

// applySettings makes s the settings, live: the engine changes its pool
// and bandwidth at once, and new downloads go to the new folder.
func (u *UI) applySettings(s settings) {
	u.prefs = s
	u.m.SetMaxActive(s.parallel)
	u.m.SetMaxConnections(s.conns)
	u.m.SetLimitRate(s.limit)
	u.m.SetPauseMetered(s.metered)
	u.m.SetShareNew(s.shareNew)
	// A saved proxy or CA file was checked when it was saved; one that no
	// longer works (a CA file removed since) leaves the engine on the
	// environment's proxy and the system's CAs, and the dialog says why
	// when it is opened again.
	if err := u.m.SetNetworkSettings(s.net); err != nil {
		u.netProblem = err
	}
}

// settingsForm is the settings dialog.
type settingsForm struct {
	dialog   *dialog.CustomDialog
	folder   *formEntry
	parallel *formSelect
	conns    *formSelect
	limit    *formEntry
	login    *formCheck     // see autostart.go
	token    *tokenField    // see hubtab.go; nil without a Hub
	shareNew *shareNewField // see share.go
	metered  *formCheck
	proxy    *formEntry
	proxyPW  *formEntry
	caFile   *formEntry
	problem  *widget.Label
	save     *widget.Button
	// cancel ends the question about a typed token, when one is asked.
	cancel context.CancelFunc
}

func (u *UI) showSettings() {
	if u.setup != nil {
		return
	}
	f := &settingsForm{folder: newFormEntry(u, false), limit: newFormEntry(u, false), problem: widget.NewLabel("")}
	f.folder.SetText(u.prefs.dir)
	choose := widget.NewButton("Choose…", func() { u.chooseFolder(f.folder) })
	var counts []string
	for i := 1; i <= maxParallel; i++ {
		counts = append(counts, strconv.Itoa(i))
	}
	f.parallel = newFormSelect(u, counts)
	f.parallel.SetSelected(strconv.Itoa(u.prefs.parallel))
	f.conns = newFormSelect(u, connChoices)
	f.conns.SetSelected(connChoices[0])
	if u.prefs.conns > 0 {
		f.conns.SetSelected(strconv.Itoa(u.prefs.conns))
	}
	f.limit.SetPlaceHolder("No limit (for example 20 MB)")
	if u.prefs.limit > 0 {
		f.limit.SetText(humanize.Bytes(uint64(u.prefs.limit)))
	}
	f.login = u.newLoginCheck()
	f.metered = newFormCheck(u, "Pause downloads on metered connections")
	f.metered.SetChecked(u.prefs.metered)
	f.proxy, f.proxyPW, f.caFile = newFormEntry(u, false), newFormEntry(u, false), newFormEntry(u, false)
	f.proxy.SetPlaceHolder("From the environment (HTTPS_PROXY)")
	address, password := instance.SplitProxy(u.prefs.net.Proxy)
	f.proxy.SetText(address)
	f.proxyPW.Password = true
	f.proxyPW.SetPlaceHolder("None")
	if password != "" {
		f.proxyPW.SetPlaceHolder("Saved in the keyring (type a new one to replace it)")
	}
	f.caFile.SetPlaceHolder("None (for example /etc/ssl/company-ca.pem)")
	f.caFile.SetText(u.prefs.net.CAFile)
	f.problem.Importance = widget.DangerImportance
	f.problem.Wrapping = fyne.TextWrapWord
	f.problem.Hide()
	if u.netProblem != nil {
		showProblem(f.problem, u.netProblem)
	}
	clearOnEdit(f.problem, f.folder, f.limit, f.proxy, f.proxyPW, f.caFile)
	parallel := widget.NewFormItem("Files downloading at once", f.parallel)
	// The engine's pool counts files, not downloads: say so plainly.
	parallel.HintText = "Each file counts: a model of three files uses three."
	form := widget.NewForm(
		widget.NewFormItem("Download folder", container.NewBorder(nil, nil, nil, choose, f.folder)),
		parallel,
		widget.NewFormItem("Connections per file", f.conns),
		widget.NewFormItem("Bandwidth limit per second", f.limit),
		widget.NewFormItem("", f.login),
		widget.NewFormItem("", f.metered),
		widget.NewFormItem("Proxy", f.proxy),
		widget.NewFormItem("Proxy password", f.proxyPW),
		widget.NewFormItem("Extra CA certificate file", f.caFile),
	)
	if u.opts.Hub != nil {
		f.token = u.newTokenField()
		clearOnEdit(f.problem, f.token.entry)
		form.Append("Hugging Face token", f.token.root)
	}
	f.shareNew = u.newShareNewField()
	share := widget.NewFormItem("Make new models available to", f.shareNew.root)
	share.HintText = "Hugging Face models from now on: linked in, never copied."
	form.AppendItem(share)
	f.dialog = dialog.NewCustomWithoutButtons("Settings", container.NewVBox(form, f.problem), u.win)
	cancel := widget.NewButton("Cancel", f.dialog.Hide)
	f.save = widget.NewButton("Save", func() { u.submitSettings(f) })
	f.save.Importance = widget.HighImportance
	f.dialog.SetButtons([]fyne.CanvasObject{cancel, f.save})
	f.dialog.Resize(dialogSize(f.dialog, 600))
	u.setup = f
	u.showDialog(f.dialog)
	u.win.Canvas().Focus(f.folder) // Tab goes on from there
}

func (u *UI) chooseFolder(into *formEntry) {
	d := dialog.NewFolderOpen(func(dir fyne.ListableURI, err error) {
		if err == nil && dir != nil {
			into.SetText(dir.Path())
		}
	}, u.win)
	d.Show()
}

func (u *UI) submitSettings(f *settingsForm) {
	if f.cancel != nil {
		return // the typed token is being checked
	}
	s, err := u.readSettings(f)
	typed := ""
	if f.token != nil {
		typed = strings.TrimSpace(f.token.entry.Text)
	}
	if err != nil || typed == "" {
		u.commitSettings(f, s, err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	err = u.checkToken(ctx, typed, func(tok hf.Token, user string, err error) {
		f.stop()
		if err == nil {
			err = u.saveToken(tok, typed, user)
		}
		u.commitSettings(f, s, err)
	})
	if err != nil {
		cancel()
		f.say(err)
		return
	}
	f.cancel = cancel
	f.save.Disable()
	f.problem.Importance = widget.MediumImportance
	f.problem.SetText("Checking the token with the Hugging Face Hub…")
	f.problem.Show()
}

// readSettings reads the form, and checks what the engine would refuse,
// changing nothing.
func (u *UI) readSettings(f *settingsForm) (settings, error) {
	s, err := parseSettings(f.folder.Text, f.parallel.Selected, f.conns.Selected, f.limit.Text)
	s.metered = f.metered.Checked
	s.shareNew = f.shareNew.keys()
	s.net = network.Settings{Proxy: u.typedProxy(fetch.Pasted(f.proxy.Text), f.proxyPW.Text), CAFile: typedPath(f.caFile.Text)}
	if err == nil && filepath.Clean(s.dir) != filepath.Clean(u.opts.ModelsDir) {
		_, err = u.m.Place(s.dir) // the engine's rule for folders a client names
	}
	if err == nil {
		err = network.Configure(&http.Transport{}, s.net) // a proxy or CA file the engine would refuse
	}
	return s, err
}

// typedProxy is the proxy typed, with the password typed for it, or the
// one saved when none was typed and the address is the saved one's.
func (u *UI) typedProxy(typed, password string) string {
	address, inline := instance.SplitProxy(typed)
	savedAddress, saved := instance.SplitProxy(u.prefs.net.Proxy)
	switch {
	case inline != "":
		return typed // pasted whole: user:password@host
	case password != "":
		return instance.JoinProxy(address, password)
	case address == savedAddress:
		return instance.JoinProxy(address, saved)
	}
	return typed
}

// commitSettings saves and applies s, unless err (from reading the form
// or checking the token) says why not, in the form. Every process
// follows the network's settings from the file they are saved to; the
// engine of this one at once.
func (u *UI) commitSettings(f *settingsForm, s settings, err error) {
	if err == nil {
		err = u.setStartAtLogin(f.login.Checked)
	}
	var kept error // the proxy's password kept by this window only
	if err == nil && u.opts.Settings != nil {
		kept = u.opts.Settings.Save(instance.Settings{Network: s.net, PauseMetered: s.metered, ShareNew: s.shareNew})
		var pe *instance.PasswordError
		if !errors.As(kept, &pe) {
			err, kept = kept, nil
		}
	}
	if err != nil {
		f.say(err)
		return
	}
	u.netProblem = nil
	s.save(u.app.Preferences())
	u.applySettings(s)
	f.dialog.Hide()
	if kept != nil {
		u.showProblem("The proxy's password is not kept", words.Sentence(kept))
	}
}

// say shows err's sentence under the form, until a field is edited.
func (f *settingsForm) say(err error) {
	f.problem.Importance = widget.DangerImportance
	showProblem(f.problem, err)
	// The dialog was sized without the message: grow it to fit.
	f.dialog.Resize(dialogSize(f.dialog, 600))
}

// stop ends the question about a typed token, if one is asked.
func (f *settingsForm) stop() {
	if f.cancel != nil {
		f.cancel()
		f.cancel = nil
		f.save.Enable()
	}
}

// typedPath is a path as typed: trimmed, with ~ for the home folder.
func typedPath(s string) string {
	s = fetch.Pasted(s)
	if rest, ok := strings.CutPrefix(s, "~"); ok && (rest == "" || rest[0] == '/') {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return s
}

// parseSettings checks what was typed in the settings dialog.
func parseSettings(dir, parallel, conns, limit string) (settings, error) {
	var s settings
	s.dir = typedPath(dir)
	if err := checkFolder(s.dir); err != nil {
		return s, err
	}
	n, err := strconv.Atoi(parallel)
	if err != nil || n < 1 || n > maxParallel {
		n = downloader.DefaultConfig().MaxActive // a Select: nothing else can be chosen
	}
	s.parallel = n
	if conns != connChoices[0] {
		s.conns, _ = strconv.Atoi(conns) // a Select too: 0, automatic, otherwise
	}
	s.limit, err = parseLimit(limit)
	return s, err
}

// checkFolder says what is wrong with a download folder; nil when
// downloads can go there (it is made when the first one does).
func checkFolder(dir string) error {
	if !filepath.IsAbs(dir) {
		return &mistake{kind: folderRelative, value: dir}
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return &mistake{kind: folderIsFile, value: dir}
	}
	return nil
}

// parseLimit reads a bandwidth limit as people write it: "20 MB",
// "20MB/s", "1.5 GiB", "500 kB per second"; empty, "0", "none" or "no
// limit" is no limit.
func parseLimit(typed string) (int64, error) {
	v := fetch.Pasted(typed)
	lower := strings.ToLower(v)
	for _, per := range []string{"per second", "a second", "/sec", "/s"} {
		lower = strings.TrimSpace(strings.TrimSuffix(lower, per))
	}
	switch lower {
	case "", "0", "none", "no limit", "unlimited", "off":
		return 0, nil
	}
	if _, err := strconv.ParseFloat(lower, 64); err == nil {
		return 0, &mistake{kind: limitNoUnit, value: v}
	}
	b, err := humanize.ParseBytes(lower)
	switch {
	case err != nil || b > math.MaxInt64:
		return 0, &mistake{kind: limitNotSize, value: v}
	case b < 1000:
		return 0, &mistake{kind: limitTooLow, value: v}
	}
	return int64(b), nil
}
