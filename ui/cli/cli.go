// Package cli is ModelFetch's command line: `modelfetch get` and the
// commands around it. It is a client of the engine like the window is,
// and never imports a UI toolkit.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/modelfetch/modelfetch/downloader/catalog"

	"github.com/modelfetch/modelfetch/downloader/fetch"

	"github.com/dustin/go-humanize"

	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/instance"
	"github.com/modelfetch/modelfetch/ui/term"
)

// Usage is what `modelfetch help` prints.
const Usage = `ModelFetch downloads large AI model files: resumable, verified, in the background.

Usage:
  modelfetch                              open the window
  modelfetch get [flags] URL|MODEL-ID...  download, print the path of each file
      --id ID           fetch id (default: the model id, or one made from the URL)
      --title TITLE     what the download is called
      --sha256 HEX      expected SHA-256 of the file (one file only)
      --total BYTES     the file's size (one file), else the most bytes to download
      --dir DIR         put the files in DIR instead of the models folder
      --connections N   connections per file (default: automatic, up to 16)
      --limit-rate R    bandwidth cap, e.g. 20MB (per second)
      --replace         use this --sha256 for a file known with another
      --json            print progress and result events as JSON lines
  modelfetch list [--json]                the fetches and their state
  modelfetch pause|resume|cancel ID       control a fetch
  modelfetch pause|resume --all           every fetch
  modelfetch catalog [--json]             the models that can be downloaded by id
  modelfetch path URL|MODEL-ID            print the path of a downloaded file, exit 1 if none
  modelfetch serve                        run the engine and its local API without a window
  modelfetch version                      the version, commit and Go version (also --version)
  modelfetch --hidden                     start in the tray without showing the window

When ModelFetch is running (the window, serve, or another get), the commands use
it, and get joins a download of the same files. Otherwise get runs the engine
itself, and Ctrl-C pauses the download (the same command again resumes it); with
a running ModelFetch, Ctrl-C only stops waiting.
`

var commands = map[string]func(context.Context, []string, instance.Env) int{
	"get": get, "list": list, "pause": control, "resume": control, "cancel": control,
	"catalog": listCatalog, "path": path, "serve": serve, "help": help,
	"version": version, "--version": version, "__complete": complete,
}

// IsCommand reports whether name is a subcommand.
func IsCommand(name string) bool {
	_, ok := commands[name]
	return ok || name == "-h" || name == "--help"
}

// Main runs the subcommand args[0] and returns the exit code. What the
// commands write goes through outputs that remember the first failed
// write (see output), so a command writes without checking each line, and
// a lost output still makes the exit code non-zero.
func Main(ctx context.Context, args []string, env instance.Env) int {
	stdout, stderr := env.Capture()
	env.WarnCatalog()
	cmd, ok := commands[args[0]]
	if !ok {
		cmd = help
	}
	return env.ExitCode(cmd(ctx, args, env), stdout, stderr)
}

func help(_ context.Context, _ []string, env instance.Env) int {
	fmt.Fprint(env.Stdout, Usage)
	return 0
}

func version(_ context.Context, _ []string, env instance.Env) int {
	v := env.Version
	fmt.Fprintf(env.Stdout, "modelfetch %s\ncommit %s\n%s %s/%s\n", v.Version, v.Commit, v.Go, runtime.GOOS, runtime.GOARCH)
	return 0
}

func newFlags(name string, env instance.Env) *flag.FlagSet {
	fs := flag.NewFlagSet("modelfetch "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

func list(ctx context.Context, args []string, env instance.Env) int {
	fs := newFlags("list", env)
	asJSON := fs.Bool("json", false, "JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	e, code := attach(ctx, env)
	if e == nil {
		return code
	}
	snaps, err := e.snapshots(ctx)
	if err != nil {
		return e.close(env, env.Fail(err))
	}
	if *asJSON {
		json.NewEncoder(env.Stdout).Encode(snaps)
		return e.close(env, 0)
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTATE\tPROGRESS\tTITLE")
	for _, s := range snaps {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", s.ID, term.StateText(s), progressText(s), s.Title)
	}
	w.Flush()
	return e.close(env, 0)
}

func control(ctx context.Context, args []string, env instance.Env) int {
	if len(args) == 2 && args[1] == "--all" && args[0] != "cancel" {
		return controlAll(ctx, args[0], env)
	}
	if len(args) != 2 {
		return env.Failf("%s needs one fetch id (see `modelfetch list`).", args[0])
	}
	id := args[1]
	e, code := attach(ctx, env)
	if e == nil {
		return code
	}
	var err error
	switch args[0] {
	case "pause":
		err = e.pause(ctx, id)
	case "resume":
		err = e.resume(ctx, id)
	case "cancel":
		var active bool
		if active, err = e.abort(ctx, id); err == nil && !active {
			fmt.Fprintf(env.Stderr, "modelfetch: %s had already finished\n", id)
		}
	}
	switch {
	case errors.Is(err, fetch.ErrNotFound):
		return e.close(env, env.Failf("There is no download with id %q (see `modelfetch list`).", id))
	case err != nil:
		return e.close(env, env.Fail(err))
	}
	return e.close(env, 0)
}

// controlAll pauses or resumes every fetch, as the tray's Pause all and
// Resume all do: the desktop entry's actions run it. Settled fetches are
// left as they are.
func controlAll(ctx context.Context, action string, env instance.Env) int {
	e, code := attach(ctx, env)
	if e == nil {
		return code
	}
	snaps, err := e.snapshots(ctx)
	for _, s := range snaps {
		if err != nil || s.State.Settled() {
			continue
		}
		if action == "pause" {
			err = e.pause(ctx, s.ID)
		} else {
			err = e.resume(ctx, s.ID)
		}
		if errors.Is(err, fetch.ErrNotFound) {
			err = nil // removed meanwhile: nothing to do
		}
	}
	if err != nil {
		return e.close(env, env.Fail(err))
	}
	return e.close(env, 0)
}

func listCatalog(_ context.Context, args []string, env instance.Env) int {
	fs := newFlags("catalog", env)
	asJSON := fs.Bool("json", false, "JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *asJSON {
		json.NewEncoder(env.Stdout).Encode(env.Catalog)
		return 0
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tTITLE\tSIZE\tFILES")
	for _, m := range env.Catalog {
		size := "unknown"
		if n := m.Size(); n > 0 {
			size = humanize.Bytes(uint64(n))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\n", m.ID, m.Title, size, len(m.Files))
	}
	w.Flush()
	return 0
}

func path(ctx context.Context, args []string, env instance.Env) int {
	if len(args) != 2 {
		return env.Failf("path needs one URL, model id or Hugging Face name.")
	}
	if code, ok := hubPath(env, args[1], hf.Options{}); ok {
		return code
	}
	var urls []string
	if m, ok := catalog.Find(env.Catalog, args[1]); ok {
		for _, f := range m.Files {
			urls = append(urls, f.URL)
		}
	} else if strings.Contains(args[1], "://") {
		urls = []string{args[1]}
	} else {
		return env.Failf("%q is neither a URL, a model id from `modelfetch catalog` nor a Hugging Face name.", args[1])
	}
	e, code := attach(ctx, env)
	if e == nil {
		return code
	}
	var paths []string
	for _, u := range urls {
		p, err := e.match(ctx, u)
		if errors.Is(err, fetch.ErrNotFound) {
			return e.close(env, 1)
		}
		if err != nil {
			return e.close(env, env.Fail(err))
		}
		paths = append(paths, p)
	}
	for _, p := range paths {
		fmt.Fprintln(env.Stdout, p)
	}
	return e.close(env, 0)
}
