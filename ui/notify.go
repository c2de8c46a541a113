package ui

import (
	"fmt"
	"html"
	"path/filepath"
	"slices"
	"strings"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"fyne.io/fyne/v2"
	"github.com/godbus/dbus/v5"
)

// note is one desktop notification: what it says, and the file that
// activating it reveals ("" for none).
type note struct {
	title, body string
	reveal      string
	failed      bool
}

// summarize makes one notification of fetches that settled together: a
// single fetch by name and folder, several by count and titles, each
// titled as its row (hub.title).
func summarize(settled []fetch.Snapshot, hub hubNames) note {
	for i := range settled {
		settled[i].Title = hub.title(settled[i])
	}
	var ok, failed []fetch.Snapshot
	for _, s := range settled {
		if s.State == fetch.StateSucceeded {
			ok = append(ok, s)
		} else {
			failed = append(failed, s)
		}
	}
	var n note
	for _, s := range ok {
		if paths := s.Paths(); len(paths) > 0 && n.reveal == "" {
			n.reveal = paths[0]
		}
	}
	n.failed = len(failed) > 0
	switch {
	case len(settled) == 1 && len(ok) == 1:
		n.title, n.body = ok[0].Title+" ready", savedIn(ok[0])
	case len(settled) == 1:
		n.title, n.body = failed[0].Title+" failed", failureText(failed[0])
	case len(failed) == 0:
		n.title, n.body = fmt.Sprintf("%d downloads finished", len(ok)), titles(ok)
	case len(ok) == 0:
		n.title, n.body = fmt.Sprintf("%d downloads failed", len(failed)), titles(failed)
	default:
		n.title = fmt.Sprintf("%d downloads finished, %d failed", len(ok), len(failed))
		n.body = titles(ok) + ". Failed: " + titles(failed)
	}
	return n
}

// titles names a few fetches: "A, B and 2 more".
func titles(snaps []fetch.Snapshot) string {
	var names []string
	for _, s := range snaps {
		names = append(names, s.Title)
	}
	const shown = 3
	if len(names) > shown {
		return strings.Join(names[:shown-1], ", ") + fmt.Sprintf(" and %d more", len(names)-shown+1)
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// savedIn says which file a succeeded fetch made, and in which folder,
// in the short form people read: "model.gguf in ~/Models/gemma-2b".
func savedIn(s fetch.Snapshot) string {
	paths := s.Paths()
	switch len(paths) {
	case 0:
		return "The download is complete."
	case 1:
		return filepath.Base(paths[0]) + " in " + shortDir(paths[0])
	}
	return fmt.Sprintf("%d files in %s", len(paths), shortDir(paths[0]))
}

// notifier sends notifications over D-Bus to org.freedesktop.Notifications
// itself, since Fyne's cannot set an expiry, actions or a reply to a
// click: they expire as the desktop's other notifications do, offer "Open
// folder" where the server shows actions, and clicking one reveals the
// file. Where no notification server answers, it hands them to fallback.
// One goroutine, owned by the notifier, connects, makes the calls (so
// that the UI goroutine never waits on the bus) and listens for the
// clicks; close stops it.
type notifier struct {
	connect  func() (*dbus.Conn, error)
	reveal   func(path string) // called on the notifier's goroutine
	fallback func(note)        // called on the notifier's goroutine
	queue    chan note
	stop     chan struct{}
	done     chan struct{}

	// Fields below belong to the goroutine.
	conn    *dbus.Conn // nil when no server answered
	obj     dbus.BusObject
	signals chan *dbus.Signal
	actions bool // the server shows actions
	markup  bool // the server reads the body as markup
	// shown maps the ids of notifications still on screen to what they
	// reveal.
	shown map[uint32]string
}

const (
	notifyName  = "org.freedesktop.Notifications"
	notifyPath  = "/org/freedesktop/Notifications"
	actionOpen  = "open-folder"
	actionClick = "default" // the notification itself was clicked
)

// startNotifier starts the notifier's goroutine.
func startNotifier(connect func() (*dbus.Conn, error), reveal func(path string), fallback func(note)) *notifier {
	n := &notifier{
		connect: connect, reveal: reveal, fallback: fallback,
		queue: make(chan note, 16), stop: make(chan struct{}), done: make(chan struct{}), shown: map[uint32]string{},
	}
	go n.run()
	return n
}

// dial connects to the notification server and listens for clicks.
func (n *notifier) dial() error {
	conn, err := n.connect()
	if err != nil {
		return err
	}
	obj := conn.Object(notifyName, notifyPath)
	var caps []string
	if err := obj.Call(notifyName+".GetCapabilities", 0).Store(&caps); err != nil {
		conn.Close()
		return fmt.Errorf("ask the notification server what it shows: %w", err)
	}
	for _, member := range []string{"ActionInvoked", "NotificationClosed"} {
		if err := conn.AddMatchSignal(dbus.WithMatchObjectPath(notifyPath), dbus.WithMatchInterface(notifyName), dbus.WithMatchMember(member)); err != nil {
			conn.Close()
			return fmt.Errorf("listen for notification clicks: %w", err)
		}
	}
	n.conn, n.obj = conn, obj
	n.actions, n.markup = slices.Contains(caps, "actions"), slices.Contains(caps, "body-markup")
	n.signals = make(chan *dbus.Signal, 16)
	conn.Signal(n.signals)
	return nil
}

// send queues nt for the notifier's goroutine. It never blocks: with the
// bus stuck and 16 notifications waiting, more are dropped.
func (n *notifier) send(nt note) {
	select {
	case n.queue <- nt:
	default:
		fyne.LogError("notification dropped: the notification server does not keep up", nil)
	}
}

// close stops the goroutine and closes the connection.
func (n *notifier) close() {
	close(n.stop)
	<-n.done
}

func (n *notifier) run() {
	defer close(n.done)
	if err := n.dial(); err != nil {
		fyne.LogError("notifications go through Fyne, without actions", err)
	} else {
		defer n.conn.Close()
	}
	for {
		select {
		case <-n.stop:
			return
		case nt := <-n.queue:
			if n.conn == nil {
				n.fallback(nt)
				continue
			}
			n.show(nt)
		case sig, ok := <-n.signals: // never ready without a connection
			if !ok {
				return
			}
			n.handle(sig)
		}
	}
}

// show sends one notification. Failing is logged: a notification is
// not worth a dialog.
func (n *notifier) show(nt note) {
	var actions []string
	if n.actions && nt.reveal != "" {
		actions = []string{actionClick, "Show", actionOpen, "Open folder"}
	}
	body := nt.body
	if n.markup {
		body = html.EscapeString(body)
	}
	category := "transfer.complete"
	if nt.failed {
		category = "transfer.error"
	}
	hints := map[string]dbus.Variant{
		"desktop-entry": dbus.MakeVariant("io.github.modelfetch"),
		"category":      dbus.MakeVariant(category),
	}
	// -1 lets the server expire it as it does everyone's; 0 would keep it
	// on screen until dismissed.
	var id uint32
	err := n.obj.Call(notifyName+".Notify", 0, "ModelFetch", uint32(0), "", nt.title, body, actions, hints, int32(-1)).Store(&id)
	if err != nil {
		fyne.LogError("could not show a notification", err)
		return
	}
	if nt.reveal != "" {
		n.shown[id] = nt.reveal
	}
}

func (n *notifier) handle(sig *dbus.Signal) {
	if len(sig.Body) < 1 {
		return
	}
	id, _ := sig.Body[0].(uint32)
	switch sig.Name {
	case notifyName + ".ActionInvoked":
		if path, ok := n.shown[id]; ok {
			n.reveal(path)
		}
	case notifyName + ".NotificationClosed":
		delete(n.shown, id)
	}
}
