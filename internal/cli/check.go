package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/clilogin/clilogin/internal/check"
	"github.com/clilogin/clilogin/internal/escape"
	"github.com/clilogin/clilogin/internal/failure"
)

// checkFlags are check's own flag: the paths and -o come with its groups.
func checkFlags(fs *pflag.FlagSet, o *Options) {
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "time limit of the whole check")
}

func checkOptions(o *Options) error {
	if o.Timeout <= 0 {
		return usageError("--timeout must be positive, got %s", o.Timeout)
	}
	if o.LoginPath == "" || o.CallbackPath == "" {
		return usageError("--login-path and --callback-path cannot be empty")
	}
	return nil
}

// runCheck walks the backend's contract without a browser: one line per
// step on stdout; exit 5 when a step failed.
func runCheck(ctx context.Context, o Options, stdio IO) error {
	steps := check.Run(ctx, check.Config{Backend: o.Backend, LoginPath: o.LoginPath, CallbackPath: o.CallbackPath,
		TokenPath: o.TokenPath, WhoamiPath: o.WhoamiPath, Timeout: o.Timeout})
	if ctx.Err() != nil {
		return failure.Wrap(failure.Interrupted, "", ctx.Err())
	}
	failed := check.Failed(steps)
	if o.Output == "json" {
		// What the backend and the IdP said, escaped as in text: JSON
		// itself leaves C1 controls, DEL and bidirectional overrides raw.
		for i := range steps {
			steps[i].Detail, steps[i].Fix = escape.Control(steps[i].Detail), escape.Control(steps[i].Fix)
		}
		if err := writeJSON(stdio.Out, struct {
			Backend string       `json:"backend"`
			OK      bool         `json:"ok"`
			Steps   []check.Step `json:"steps"`
		}{o.Backend.Redacted(), !failed, steps}); err != nil {
			return err
		}
		if failed {
			return exitCode(ExitUnreachable)
		}
		return nil
	}
	w := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	n := 0
	for _, s := range steps {
		line := s.Detail
		if s.Fix != "" {
			line += "; fix: " + s.Fix
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", s.Status, s.Name, escape.Control(oneLine(line))) // what the backend and the IdP said
		if s.Status == check.Fail {
			n++
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if failed {
		return failure.New(failure.Unreachable, "the lines marked fail above say what to change",
			"%d of %d checks failed: clilogin cannot log in to %s as it is", n, len(steps), o.Backend.Redacted())
	}
	return nil
}
