// Package cli is ModelFetch's command line: `modelfetch get` and the
// commands around it. It is a client of the engine like the window is,
// and never imports a UI toolkit.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"

	"github.com/modelfetch/modelfetch/downloader/catalog"
	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/instance"
	"github.com/modelfetch/modelfetch/ui/term"
)

// command is one subcommand: what `modelfetch help` says of it, and what
// runs it with the words after its name.
type command struct {
	name, operands, summary string
	run                     func(ctx context.Context, args []string, env instance.Env) int
}

// commands are the subcommands in the order help lists them.
var commands []command

func init() {
	// Set here rather than in the declaration: help, which is one of
	// them, lists them.
	commands = []command{
		{"get", "WHAT...", "Download, or join the download of, WHAT; print the path of each file.", get},
		{"list", "", "The downloads and their state.", list},
		{"pause", "ID|--all", "Pause a download, or every one.", control},
		{"resume", "ID|--all", "Resume a download, or every one.", control},
		{"cancel", "ID", "Cancel a download.", control},
		{"share", "ID APP...", "Make a downloaded model available to other apps (ollama, lmstudio, jan, gpt4all) without a second copy.", share},
		{"catalog", "", "The models that can be downloaded by their id.", listCatalog},
		{"path", "WHAT", "Print the path of a downloaded file; exit 1 when there is none.", path},
		{"serve", "", "Run the engine and its local API without a window.", serve},
		{"version", "", "Print the version, commit and Go version (also --version).", version},
		{"help", "[COMMAND]", "Show this help, or a command's (also COMMAND --help).", help},
	}
}

// find is the subcommand name, with --version, --help and -h as the
// commands they stand for, and the hidden __complete of the shell
// completions.
func find(name string) (command, bool) {
	switch name {
	case "--version":
		name = "version"
	case "--help", "-h", "-help":
		name = "help"
	case "__complete":
		return command{name: name, run: complete}, true
	}
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == name })
	if i < 0 {
		return command{}, false
	}
	return commands[i], true
}

// ForWindow reports whether a start with args is the window's: no
// arguments, --hidden, and downloads for the window to open (URLs, model
// ids of the catalog, Hugging Face names). Anything else is the command
// line's, a mistyped command or option included, so that a typo is
// answered in the terminal by Main and never opens a window.
func ForWindow(args []string, env instance.Env) bool {
	if len(args) > 0 {
		if _, ok := find(args[0]); ok {
			return false
		}
	}
	for _, a := range args {
		if a != "--hidden" && !opens(a, env) {
			return false
		}
	}
	return true
}

// opens reports whether the window takes a as a download: a URL, a model
// id of the catalog or a Hugging Face name (one that does not read is
// still the window's, which says what is wrong with it).
func opens(a string, env instance.Env) bool {
	if strings.HasPrefix(a, "-") {
		return false
	}
	if _, ok := catalog.Find(env.Catalog, a); ok || strings.Contains(a, "://") {
		return true
	}
	_, err := hf.Parse(a, hf.Options{Endpoint: env.Getenv.Endpoint()})
	return !errors.Is(err, hf.ErrNotHub)
}

// Main runs the subcommand args[0] and returns the exit code: 2 when the
// command line cannot be read (an unknown command or option, a value that
// is not one), 1 when the command failed. What the commands write goes
// through outputs that remember the first failed write (see output), so a
// command writes without checking each line, and a lost output still
// makes the exit code non-zero.
func Main(ctx context.Context, args []string, env instance.Env) int {
	stdout, stderr := env.Capture()
	env.WarnCatalog()
	env.WarnSettings()
	return env.ExitCode(dispatch(ctx, args, env), stdout, stderr)
}

func dispatch(ctx context.Context, args []string, env instance.Env) int {
	if len(args) == 0 {
		return help(ctx, []string{"help"}, env)
	}
	c, ok := find(args[0])
	switch {
	case ok:
		return c.run(ctx, args, env)
	case strings.HasPrefix(args[0], "-"):
		return usage(env, unknown("option", args[0], []string{"--help", "--hidden", "--version"}, "modelfetch --help"))
	}
	return usage(env, unknown("command", args[0], commandNames(), "modelfetch --help"))
}

func commandNames() []string {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	return names
}

// Usage is what `modelfetch help` says first; the commands follow.
const Usage = "Usage: modelfetch [COMMAND [OPTION]... [ARGUMENT]...]\n" + about

// about is what the program does.
const about = `ModelFetch downloads large AI model files: resumable across restarts and lost networks, verified, in the background. Without a command it opens the window; given downloads (WHAT) and no command, the window downloads them.`

// whatHelp says what a download (WHAT) can be.
var whatHelp = [][2]string{
	{"  https://host/model.gguf", "A URL; several URLs make one download."},
	{"  gemma-2b", "A model id from `modelfetch catalog`."},
	{"  hf.co/ORG/REPO:QUANT", "A quantization of a Hugging Face GGUF repo, such as hf.co/unsloth/gemma-3-1b-it-GGUF:Q4_K_M. Without :QUANT, the one llama.cpp and Ollama take (Q4_K_M); with :*, every file."},
	{"  ORG/REPO[:QUANT]", "The same without hf.co/."},
	{"  hf://ORG/REPO[@REV][/PATH]", "A repo, or a file or folder of it."},
	{"  https://huggingface.co/...", "A repo, file or folder page from the browser."},
}

// afterHelp is what the help says last.
const afterHelp = `With a Hugging Face name, get takes --revision REV, --include GLOB and --exclude GLOB as ` + "`hf download`" + ` does, and the files go to the Hugging Face cache, where llama.cpp, transformers and the hf tool find them.

When ModelFetch is running (the window, serve, or another get), the commands use it, and get joins a download of the same files. Otherwise get runs the engine itself, and Ctrl-C pauses the download (the same command again resumes it); with a running ModelFetch, Ctrl-C only stops waiting.

Exit status: 0 when done, 1 when the command failed, 2 when the command line could not be read, 130 after Ctrl-C. Run ` + "`modelfetch COMMAND --help`" + ` for a command's options.`

func help(ctx context.Context, args []string, env instance.Env) int {
	if len(args) > 2 {
		return usage(env, mistake("The command help takes at most one command, such as `modelfetch help get`."))
	}
	if len(args) == 2 && args[1] != "help" {
		c, ok := find(args[1])
		if !ok {
			return usage(env, unknown("command", args[1], commandNames(), "modelfetch --help"))
		}
		return c.run(ctx, []string{c.name, "--help"}, env)
	}
	rows := [][2]string{{"  (no command)", "Open the window; with --hidden, start in the tray without showing it."}}
	for _, c := range commands {
		rows = append(rows, [2]string{strings.TrimRight("  "+c.name+" "+c.operands, " "), c.summary})
	}
	fmt.Fprintf(env.Stdout, "%s\n\nCommands:\n%s\nWhat to download (WHAT):\n%s\n%s\n", wrap(Usage, 0, lineWidth), table(rows), table(whatHelp), wrap(afterHelp, 0, lineWidth))
	return 0
}

func version(_ context.Context, args []string, env instance.Env) int {
	f := newFlags(env, "version", "", "Print the version, the commit it was built from, and the Go version and platform.")
	if code, ok := noOperands(f, args, env); !ok {
		return code
	}
	v := env.Version
	fmt.Fprintf(env.Stdout, "modelfetch %s\ncommit %s\n%s %s/%s\n", v.Version, v.Commit, v.Go, runtime.GOOS, runtime.GOARCH)
	return 0
}

// noOperands reads the command line of a command that takes none but
// its options; ok is false, with the exit code, when it cannot go on.
func noOperands(f *flags, args []string, env instance.Env) (int, bool) {
	ops, err := f.parse(args[1:])
	if err == nil && len(ops) > 0 {
		err = mistake("The command %s takes no arguments, and %q is one; see `modelfetch %s --help`.", f.name, ops[0], f.name)
	}
	if err != nil {
		return usage(env, err), false
	}
	return 0, true
}

// failure is a command's failure in its own words, with its cause for
// errors.Is.
type failure struct {
	words string
	err   error
}

func (e *failure) Error() string {
	if e.err == nil {
		return "command: " + e.words
	}
	return "command: " + e.err.Error()
}
func (e *failure) Sentence() string { return e.words }
func (e *failure) Unwrap() error    { return e.err }

func list(ctx context.Context, args []string, env instance.Env) int {
	f := newFlags(env, "list", "", "List the downloads ModelFetch knows: id, state, progress and title.")
	asJSON := f.bool("json", "Print the downloads as a JSON array, as the local API returns them.")
	if code, ok := noOperands(f, args, env); !ok {
		return code
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
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", s.ID, term.StateText(s), progressText(s), term.Title(s))
	}
	w.Flush()
	return e.close(env, 0)
}

// controlAbout is what pause, resume and cancel do.
var controlAbout = map[string]string{
	"pause":  "Pause the download ID (see `modelfetch list`), or with --all every download; it resumes where it stopped.",
	"resume": "Resume the paused download ID, or with --all every paused download.",
	"cancel": "Cancel the download ID; its partial file is removed.",
}

func control(ctx context.Context, args []string, env instance.Env) int {
	action := args[0]
	f := newFlags(env, action, "ID", controlAbout[action])
	var all *bool
	if action != "cancel" {
		f.operands = "ID|--all"
		all = f.bool("all", "Every download that has not finished.")
	}
	ops, err := f.parse(args[1:])
	if err != nil {
		return usage(env, err)
	}
	if all != nil && *all && len(ops) == 0 {
		return controlAll(ctx, action, env)
	}
	if len(ops) != 1 || all != nil && *all {
		return usage(env, mistake("The command %s needs one download id, such as `modelfetch %s %s` (see `modelfetch list`)%s.", action, action, exampleID, allText(all)))
	}
	return controlOne(ctx, action, ops[0], env)
}

// exampleID is the id the help's examples use.
const exampleID = "gemma-2b"

func allText(all *bool) string {
	if all == nil {
		return ""
	}
	return ", or --all alone"
}

// controlOne pauses, resumes or cancels the fetch id.
func controlOne(ctx context.Context, action, id string, env instance.Env) int {
	e, code := attach(ctx, env)
	if e == nil {
		return code
	}
	var err error
	switch action {
	case "pause":
		err = e.pause(ctx, id)
	case "resume":
		err = e.resume(ctx, id)
	case "cancel":
		var active bool
		if active, err = e.abort(ctx, id); err == nil && !active {
			fmt.Fprintf(env.Stderr, "modelfetch: The download %s had already finished.\n", id)
		}
	}
	if errors.Is(err, fetch.ErrNotFound) {
		err = notFound(id, err)
	}
	if err != nil {
		return e.close(env, env.Fail(err))
	}
	return e.close(env, 0)
}

// notFound is the failure of a command given an id no fetch has.
func notFound(id string, err error) error {
	return &failure{fmt.Sprintf("There is no download with id %q; `modelfetch list` shows the downloads and their ids.", id), err}
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
	f := newFlags(env, "catalog", "", "List the models `modelfetch get ID` downloads by their id: the built-in catalog, with the user's catalog.json laid over it.")
	asJSON := f.bool("json", "Print the catalog as JSON.")
	if code, ok := noOperands(f, args, env); !ok {
		return code
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
	f := newFlags(env, "path", "WHAT", "Print the path of each downloaded file of WHAT (a URL, a model id or a Hugging Face name), and exit 1 without a word when it is not downloaded. A Hugging Face name is looked up in its cache, as the hf tool does offline.")
	ops, err := f.parse(args[1:])
	if err == nil && len(ops) != 1 {
		err = mistake("The command path needs one URL, model id or Hugging Face name, such as `modelfetch path %s`.", exampleID)
	}
	if err != nil {
		return usage(env, err)
	}
	what := fetch.Pasted(ops[0])
	if code, ok := hubPath(env, what, hf.Options{}); ok {
		return code
	}
	urls, err := modelURLs(env, what)
	if err != nil {
		return usage(env, err)
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

// modelURLs are the files of what: a catalog model's, or what as a URL.
func modelURLs(env instance.Env, what string) ([]string, error) {
	if m, ok := catalog.Find(env.Catalog, what); ok {
		var urls []string
		for _, f := range m.Files {
			urls = append(urls, f.URL)
		}
		return urls, nil
	}
	if !strings.Contains(what, "://") {
		return nil, mistake("There is no model %q in `modelfetch catalog`, and it is neither a URL nor a Hugging Face name such as hf.co/ORG/REPO:Q4_K_M.", what)
	}
	q := fetch.Request{URL: what}
	return []string{what}, q.Validate()
}
