package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/modelfetch/modelfetch/downloader/apps"
	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/instance"
	"github.com/modelfetch/modelfetch/ui/term"
)

// parseApps reads app names as people write them: separated by commas,
// in any case, "LM Studio" and "lm-studio" as lmstudio.
func parseApps(words []string) ([]string, error) {
	var keys []string
	for _, w := range words {
		for _, name := range strings.Split(w, ",") {
			key := apps.Key(fetch.Pasted(name))
			switch {
			case key == "" || slices.Contains(keys, key):
			case !slices.Contains(apps.Keys(), key):
				return nil, unknown("app", strings.TrimSpace(name), apps.Keys(), "modelfetch share --help")
			default:
				keys = append(keys, key)
			}
		}
	}
	return keys, nil
}

// findApps refuses, before anything is downloaded, an app whose store is
// not on this machine.
func findApps(keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	found := apps.Find(apps.System())
	for _, key := range keys {
		if !slices.ContainsFunc(found, func(a apps.App) bool { return apps.Key(a.Name()) == key }) {
			return &fetch.AppError{App: apps.Name(key), Err: apps.ErrNotFound}
		}
	}
	return nil
}

// shareArgs is what a share asks for.
type shareArgs struct {
	apps []string
	copy bool      // a copy is allowed where a link is not
	out  io.Writer // where each app's result is said
}

const shareAbout = `Make the verified model files of the finished download ID available to each APP (ollama, lmstudio, jan, gpt4all), laid out as the app's own download lays them out and under the name it gives them (Ollama: hf.co/ORG/REPO:QUANT; LM Studio: ORG/REPO). Each file is hard-linked: no second copy, no byte copied. Only a Hugging Face model's file whose SHA-256 ModelFetch verified, unchanged since, is shared; a file already there with other content is left as it is and reported.

APP may be given as several words or as one list with commas (ollama,lmstudio). With --remove, what ModelFetch made in each APP for the download goes, and only that.`

func share(ctx context.Context, args []string, env instance.Env) int {
	f := newFlags(env, "share", "ID APP...", shareAbout)
	allowCopy := f.bool("copy", "Copy the file into an app whose folder is on another disk or refuses links, instead of saying what the copy would cost.")
	remove := f.bool("remove", "Remove what ModelFetch made in each APP for the download (its links, Ollama's manifest), and nothing else: the app's own files and the download stay.")
	ops, err := f.parse(args[1:])
	if err == nil && len(ops) < 2 {
		err = mistake("The command share needs a download id and at least one app, such as `modelfetch share %s ollama` (the apps: %s).", exampleID, strings.Join(apps.Keys(), ", "))
	}
	var keys []string
	if err == nil {
		keys, err = parseApps(ops[1:])
	}
	if err != nil {
		return usage(env, err)
	}
	if err := findApps(keys); err != nil {
		return env.Fail(err)
	}
	e, code := attach(ctx, env)
	if e == nil {
		return code
	}
	if *remove {
		return e.close(env, unshareFrom(ctx, env, e, ops[0], keys))
	}
	a := shareArgs{apps: keys, copy: *allowCopy, out: env.Stdout}
	s, err := shareWith(ctx, e, ops[0], a)
	if err != nil {
		return e.close(env, env.Fail(err))
	}
	return e.close(env, sayShared(env, s, a))
}

// unshareFrom asks the engine to remove what it made in each app of keys
// for the fetch id, and says so.
func unshareFrom(ctx context.Context, env instance.Env, e engine, id string, keys []string) int {
	for _, key := range keys {
		if _, err := e.unshare(ctx, id, key); err != nil {
			if errors.Is(err, fetch.ErrNotFound) {
				err = notFound(id, err)
			}
			return env.Fail(err)
		}
		fmt.Fprintf(env.Stdout, "%s: removed what ModelFetch made there for %s\n", apps.Name(key), id)
	}
	return 0
}

// shareWith asks the engine to share the fetch id with each app of a,
// and returns the fetch as it is then.
func shareWith(ctx context.Context, e engine, id string, a shareArgs) (fetch.Snapshot, error) {
	var s fetch.Snapshot
	for _, key := range a.apps {
		var err error
		if s, err = e.share(ctx, id, key, a.copy); err != nil {
			if s.ID != "" && s.State != fetch.StateSucceeded {
				return s, &failure{fmt.Sprintf("The download %s is not finished (%s); share it once it is Ready.", id, term.StateText(s)), err}
			}
			if errors.Is(err, fetch.ErrNotFound) {
				return s, notFound(id, err)
			}
			return s, err
		}
	}
	return s, nil
}

// shareAfterGet makes sure the apps a get --for names have the files,
// and says so. The engine shared them at commit when it downloaded them;
// asking again is cheap (what is there is left as it is) and covers the
// files that were there before, links removed since, and the copies
// --copy allows.
func shareAfterGet(ctx context.Context, env instance.Env, e engine, s fetch.Snapshot, a shareArgs) int {
	s, err := shareWith(ctx, e, s.ID, a)
	if err != nil {
		return env.Fail(err)
	}
	return sayShared(env, s, a)
}

// sayShared says, for each app of a and each model file of s, under which
// name the app has it, or why not; it returns 1 when an app does not.
func sayShared(env instance.Env, s fetch.Snapshot, a shareArgs) int {
	code := 0
	for _, key := range a.apps {
		for _, r := range s.Records {
			sh, ok := sharedWith(r, key)
			switch {
			case !isModel(r) || !ok:
			case sh.Problem != "" && sh.Copy > 0 && !a.copy:
				code = env.Fail(&failure{sh.Problem + " Run the same command with --copy to do so.", nil})
			case sh.Problem != "":
				code = env.Fail(&failure{sh.Problem, nil})
			default:
				fmt.Fprintf(a.out, "%s: %s (%s)\n", sh.App, sh.Name, how(r, sh))
			}
		}
	}
	return code
}

// isModel reports whether the record's file is a model the apps run (a
// GGUF file): a Hub repo's other files (README.md, config.json) are not
// reported on.
func isModel(r fetch.RecordSnapshot) bool {
	return strings.HasSuffix(strings.ToLower(r.Name), ".gguf")
}

// sharedWith is what the record says of the app key.
func sharedWith(r fetch.RecordSnapshot, key string) (fetch.Shared, bool) {
	i := slices.IndexFunc(r.Shared, func(sh fetch.Shared) bool { return apps.Key(sh.App) == key })
	if i < 0 {
		return fetch.Shared{}, false
	}
	return r.Shared[i], true
}

// how says what the app's file costs: the same file as ModelFetch's (a
// hard link), or a copy.
func how(r fetch.RecordSnapshot, sh fetch.Shared) string {
	ours, err1 := os.Stat(r.Path)
	theirs, err2 := os.Stat(sh.Path)
	if err1 == nil && err2 == nil && os.SameFile(ours, theirs) {
		return "the same file, no byte copied: " + sh.Path
	}
	return "a copy: " + sh.Path
}
