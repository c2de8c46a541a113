package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/modelfetch/modelfetch/downloader/instance"
)

// complete is `modelfetch __complete fetches|models`, which the shell
// completions (packaging/completions) call: the ids of the fetches the
// engine knows, or of the catalog's models, one a line. It prints nothing
// rather than an error, so that a Tab never writes over the command line.
func complete(ctx context.Context, args []string, env instance.Env) int {
	if len(args) != 2 {
		return 2
	}
	switch args[1] {
	case "models":
		for _, m := range env.Catalog {
			fmt.Fprintln(env.Stdout, m.ID)
		}
		return 0
	case "fetches":
		env.Stderr = io.Discard
		e, code := attach(ctx, env)
		if e == nil {
			return code
		}
		snaps, err := e.snapshots(ctx)
		for _, s := range snaps {
			fmt.Fprintln(env.Stdout, s.ID)
		}
		if err != nil {
			return e.close(env, 1)
		}
		return e.close(env, 0)
	}
	return 2
}
