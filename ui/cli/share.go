package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/modelfetch/modelfetch/downloader/apps"
	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/hf"
	"github.com/modelfetch/modelfetch/downloader/instance"
	"github.com/modelfetch/modelfetch/downloader/words"
	"github.com/modelfetch/modelfetch/ui/term"
)

// knownApp is an app a model can be shared with: its name on the command
// line, and where its store is on this machine.
type knownApp struct {
	key string
	dir func(apps.Env) string
	app func(dir string) apps.App
}

var knownApps = []knownApp{
	{"ollama", apps.OllamaDir, func(d string) apps.App { return apps.NewOllama(d) }},
	{"lmstudio", apps.LMStudioModels, apps.LMStudio},
	{"jan", apps.JanData, apps.Jan},
	{"gpt4all", apps.GPT4AllModels, apps.GPT4All},
}

// appKeys are the apps' names on the command line.
func appKeys() []string {
	var keys []string
	for _, a := range knownApps {
		keys = append(keys, a.key)
	}
	return keys
}

// parseApps reads app names as people write them: separated by commas or
// blanks, in any case, "LM Studio" and "lm-studio" as lmstudio.
func parseApps(words []string) ([]string, error) {
	var keys []string
	for _, w := range words {
		for _, name := range strings.FieldsFunc(w, func(r rune) bool { return r == ',' }) {
			key := strings.ToLower(strings.NewReplacer(" ", "", "-", "", "_", "").Replace(fetch.Pasted(name)))
			if key == "" {
				continue
			}
			if !slices.Contains(appKeys(), key) {
				return nil, unknown("app", strings.TrimSpace(name), appKeys())
			}
			if !slices.Contains(keys, key) {
				keys = append(keys, key)
			}
		}
	}
	return keys, nil
}

// appsOf returns the apps of keys on this machine, or the failure that
// names the first one missing.
func appsOf(keys []string) ([]apps.App, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	e := apps.System()
	found := apps.Find(e)
	var out []apps.App
	for _, key := range keys {
		k := knownApps[slices.IndexFunc(knownApps, func(a knownApp) bool { return a.key == key })]
		want := k.app(k.dir(e))
		i := slices.IndexFunc(found, func(a apps.App) bool { return a.Name() == want.Name() })
		if i < 0 {
			return nil, &failure{fmt.Sprintf("%s is not on this machine: it keeps its models in %s, which does not exist. Install it and start it once, or leave it out.", want.Name(), want.Dir()), apps.ErrNotFound}
		}
		out = append(out, found[i])
	}
	return out, nil
}

// shareArgs is what a share asks for.
type shareArgs struct {
	apps []string
	copy bool      // a copy is allowed where a link is not
	out  io.Writer // where each app's result is said
}

const shareAbout = `Make the verified model file of the finished download ID available to each APP (` + "ollama, lmstudio, jan, gpt4all" + `), laid out as the app's own download lays it out, under the name that app gives it (Ollama: hf.co/ORG/REPO:QUANT; LM Studio: ORG/REPO). The file is hard-linked: no second copy, no bytes copied. Only a file whose SHA-256 ModelFetch verified is shared, and a file already there with other content is left as it is and reported.

APP may be given as several words or as one list with commas (ollama,lmstudio).`

func share(ctx context.Context, args []string, env instance.Env) int {
	f := newFlags(env, "share", "ID APP...", shareAbout)
	allowCopy := f.bool("copy", "Copy the file into an app whose folder is on another disk or refuses links, instead of refusing; its size is said first.")
	ops, err := f.parse(args[1:])
	if err == nil && len(ops) < 2 {
		err = mistake("The command share needs a download id and at least one app, such as `modelfetch share %s ollama` (the apps: %s).", exampleID, strings.Join(appKeys(), ", "))
	}
	var keys []string
	if err == nil {
		keys, err = parseApps(ops[1:])
	}
	if err != nil {
		return usage(env, err)
	}
	if _, err := appsOf(keys); err != nil {
		return env.Fail(err)
	}
	e, code := attach(ctx, env)
	if e == nil {
		return code
	}
	snaps, err := e.snapshots(ctx)
	if err != nil {
		return e.close(env, env.Fail(err))
	}
	i := slices.IndexFunc(snaps, func(s fetch.Snapshot) bool { return s.ID == ops[0] })
	if i < 0 {
		return e.close(env, env.Fail(notFound(ops[0], fetch.ErrNotFound)))
	}
	return e.close(env, shareFetch(ctx, env, e, snaps[i], shareArgs{apps: keys, copy: *allowCopy, out: env.Stdout}))
}

// shareFetch shares the model files of the succeeded fetch s with the
// apps a asks for, saying for each what it did, and returns the exit
// code.
func shareFetch(ctx context.Context, env instance.Env, e engine, s fetch.Snapshot, a shareArgs) int {
	if s.State != fetch.StateSucceeded {
		return env.Fail(&failure{fmt.Sprintf("The download %s is not finished (%s); share it once it is Ready.", s.ID, term.StateText(s)), nil})
	}
	found, err := appsOf(a.apps)
	if err != nil {
		return env.Fail(err)
	}
	models, err := sharedModels(ctx, env, e, s)
	if err != nil {
		return env.Fail(err)
	}
	for _, app := range found {
		for _, m := range models {
			if err := shareOne(app, m, a); err != nil {
				return env.Fail(err)
			}
		}
	}
	return 0
}

// shareOne shares m with app, saying what it cost.
func shareOne(app apps.App, m apps.Model, a shareArgs) error {
	p, err := app.Plan(m)
	if err != nil {
		return shareFailure(app, m, err)
	}
	if n := p.CopyBytes(); n > 0 && !a.copy {
		return &failure{fmt.Sprintf("%s keeps its models on another disk, or its folder refuses links, so sharing %s needs a copy of %s; add --copy to make it.", app.Name(), filepath.Base(m.Path), humanize.Bytes(uint64(n))), nil}
	}
	if err := apps.Share(p); err != nil {
		return shareFailure(app, m, err)
	}
	how := map[apps.Means]string{
		apps.Present: "it was there already",
		apps.Link:    "a hard link, no bytes copied",
		apps.Copy:    "a copy of " + humanize.Bytes(uint64(p.CopyBytes())),
	}[p.Means()]
	fmt.Fprintf(a.out, "%s: %s (%s)\n", app.Name(), p.Name, how)
	return nil
}

// shareFailure words what the apps package refused.
func shareFailure(app apps.App, m apps.Model, err error) error {
	var taken *apps.TakenError
	switch {
	case errors.As(err, &taken):
		return &failure{fmt.Sprintf("%s already has another file at %s; it was left as it is, and %s was not shared with it.", app.Name(), taken.Path, filepath.Base(m.Path)), err}
	case errors.Is(err, apps.ErrNotVerified):
		return &failure{fmt.Sprintf("%s changed on disk since ModelFetch verified it, so it is not shared; download it again first.", m.Path), err}
	case errors.Is(err, apps.ErrBadName):
		return &failure{fmt.Sprintf("%s/%s has no name %s accepts (its names are letters, digits, '-', '_' and '.').", m.Org, m.Repo, app.Name()), err}
	}
	return &failure{fmt.Sprintf("%s could not be shared with %s. %s", filepath.Base(m.Path), app.Name(), words.Sentence(err)), err}
}

// sharedModels are the model files of s as the apps package takes them:
// GGUF files from a Hugging Face name, each with the SHA-256 the engine
// verified, and unchanged since (the engine's Match hashes a file that
// changed on disk).
func sharedModels(ctx context.Context, env instance.Env, e engine, s fetch.Snapshot) ([]apps.Model, error) {
	var models []apps.Model
	for _, r := range s.Records {
		if !strings.HasSuffix(strings.ToLower(r.Name), ".gguf") || strings.HasPrefix(strings.ToLower(r.Name), "mmproj") {
			continue
		}
		m, err := sharedModel(ctx, env, e, r)
		if err != nil {
			return nil, err
		}
		models = append(models, m)
	}
	if len(models) == 0 {
		return nil, &failure{fmt.Sprintf("The download %s has no GGUF model file to share; apps run GGUF files.", s.ID), nil}
	}
	return models, nil
}

// sharedModel is the record r as the apps package takes it.
func sharedModel(ctx context.Context, env instance.Env, e engine, r fetch.RecordSnapshot) (apps.Model, error) {
	ref, err := hf.Parse(r.URL, hf.Options{Endpoint: env.Getenv.Endpoint()})
	if err != nil || ref.Path == "" {
		return apps.Model{}, &failure{fmt.Sprintf("%s is not from a Hugging Face name, and apps name a model by its repository, so it cannot be shared; download it as hf.co/ORG/REPO:QUANT.", r.Name), err}
	}
	if r.SHA256 == "" || r.Unverified {
		return apps.Model{}, &failure{fmt.Sprintf("%s was not checked against a SHA-256, and apps trust a file by its digest, so it is not shared.", r.Name), nil}
	}
	if _, err := e.match(ctx, r.URL); err != nil {
		return apps.Model{}, &failure{fmt.Sprintf("%s is no longer the file ModelFetch verified, so it is not shared; download it again first.", r.Name), err}
	}
	file, err := filepath.EvalSymlinks(r.Path)
	if err == nil {
		_, err = os.Stat(file)
	}
	if err != nil {
		return apps.Model{}, err
	}
	org, repo, _ := strings.Cut(ref.Repo, "/")
	return apps.Model{Path: file, SHA256: strings.ToLower(r.SHA256), Size: r.Size, Org: org, Repo: repo,
		Quant: hf.QuantOf(ref.Path), File: ref.Path}, nil
}
