// Package cli is clilogin's command line: it parses options, runs a command
// and decides, in one place, how an error is shown and which exit code it
// gets.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/clilogin/clilogin/internal/escape"
	"github.com/clilogin/clilogin/internal/failure"
)

// Exit codes, as documented in docs/troubleshooting.md.
const (
	ExitOK          = 0
	ExitInternal    = 1
	ExitUsage       = 2
	ExitTimeout     = 3
	ExitRefused     = 4
	ExitUnreachable = 5
	ExitBrowser     = 6
	ExitInterrupted = 130
)

// IO is where a command reads and writes. Results go to Out alone.
type IO struct {
	In            io.Reader
	Out           io.Writer
	Err           io.Writer
	ErrIsTerminal bool // a spinner is shown only on a terminal
	InIsTerminal  bool // exec leaves Ctrl-C to the terminal
}

// Run runs the command line args (without the program name) and returns
// the exit code. ctx is cancelled by Ctrl-C or SIGTERM.
func Run(ctx context.Context, args []string, env Env, stdio IO) (code int) {
	steps := &timeline{}
	var o Options
	// A panic, in clilogin or a library, is a failure like any other: exit
	// 1 and a message; the stack only with -v. What the command started
	// (the browser, a remote session) is closed on its own deferred paths.
	defer func() {
		if r := recover(); r != nil {
			if o.Verbose {
				fmt.Fprintf(stdio.Err, "clilogin: panic: %v\n%s", r, debug.Stack())
			}
			code = report(failure.New(failure.Internal, "", "internal error: %v", r), o, stdio, steps)
		}
	}()
	root := newRoot(env, stdio, func(c command, o Options) error {
		a, err := newApp(c, o, env, stdio)
		if err != nil {
			return err
		}
		a.steps = steps
		if o.PasswordStdin {
			// Read now, whether a login needs it or the cache answers: the
			// password line is clilogin's either way, and exec's command
			// gets the rest of the input, untouched.
			if a.password, err = readPasswordStdin(stdio.In); err != nil {
				return err
			}
		}
		return c.run(ctx, a)
	}, func(parsed Options) { o = parsed })
	root.SetIn(stdio.In)
	err := execute(ctx, root, args)
	return report(err, o, stdio, steps)
}

// report shows err, if any, and returns its exit code. With -o json a
// failure is also one JSON object on stdout: the kind of error, the exit
// code, the step that failed and the time each step took.
func report(err error, o Options, stdio IO, steps *timeline) int {
	if err == nil {
		return ExitOK
	}
	var code exitCode
	if errors.As(err, &code) {
		return int(code) // exec's command said it all
	}
	kind := failure.KindOf(err)
	if errors.Is(err, context.Canceled) {
		kind = failure.Interrupted
	}
	exit := map[failure.Kind]int{
		failure.Internal:    ExitInternal,
		failure.Usage:       ExitUsage,
		failure.Timeout:     ExitTimeout,
		failure.Refused:     ExitRefused,
		failure.Unreachable: ExitUnreachable,
		failure.Browser:     ExitBrowser,
		failure.Interrupted: ExitInterrupted,
	}[kind]
	// Messages quote backends and identity providers: their control
	// characters are shown escaped, never sent to the terminal.
	msg, hint := escape.Control(oneLine(err.Error())), escape.Control(failure.HintOf(err))
	if kind == failure.Internal && hint == "" {
		hint = "this is a bug in clilogin; please report it with the output of -v"
	}
	if kind == failure.Interrupted {
		msg, hint = "interrupted", ""
		fmt.Fprintln(stdio.Err, "clilogin: interrupted")
	} else {
		fmt.Fprintf(stdio.Err, "clilogin: error: %s\n", msg)
		if hint != "" {
			fmt.Fprintf(stdio.Err, "clilogin: hint: %s\n", hint)
		}
	}
	if o.Output == "json" && steps != nil {
		step := steps.end()
		_ = writeJSON(stdio.Out, struct {
			Error    string             `json:"error"`
			Hint     string             `json:"hint,omitempty"`
			Kind     string             `json:"kind"`
			ExitCode int                `json:"exit_code"`
			Step     string             `json:"step,omitempty"`
			Timings  map[string]float64 `json:"timings,omitempty"`
		}{msg, hint, kind.String(), exit, step, steps.seconds()})
	}
	return exit
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// logger writes -v lines with the time since the command started.
type logger struct {
	w     io.Writer
	on    bool
	start time.Time
}

func (l *logger) logf(format string, args ...any) {
	if l.on {
		fmt.Fprintf(l.w, "clilogin: [%6.2fs] %s\n", time.Since(l.start).Seconds(), escape.Control(fmt.Sprintf(format, args...)))
	}
}
