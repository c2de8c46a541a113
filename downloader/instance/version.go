package instance

import (
	"cmp"
	"runtime"
	"runtime/debug"
)

// Version says which build of ModelFetch runs: `modelfetch version` and
// the window's About show it.
type Version struct {
	Version string // the release, from FyneApp.toml; "dev" when not stamped
	Commit  string // the git commit it was built from; "unknown" when not known
	Go      string // the Go toolchain that built it
}

// ReadVersion is the build's version. make stamps version and commit
// with -ldflags -X; a plain `go build` leaves them empty, and then Go's
// own build information names the commit of the checkout (and the
// module's version, for `go install …@v1.2.3`).
func ReadVersion(version, commit string) Version {
	v := Version{Version: version, Commit: commit, Go: runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "(devel)" {
			v.Version = cmp.Or(v.Version, info.Main.Version)
		}
		v.Commit = cmp.Or(v.Commit, vcsCommit(info.Settings))
	}
	v.Version = cmp.Or(v.Version, "dev")
	v.Commit = cmp.Or(v.Commit, "unknown")
	return v
}

// vcsCommit is the commit `go build` recorded, shortened as git shows
// it, with "-dirty" when the checkout had changes.
func vcsCommit(settings []debug.BuildSetting) string {
	var rev, dirty string
	for _, s := range settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value[:min(12, len(s.Value))]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}
