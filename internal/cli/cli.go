// Package cli is clilogin's command line: it parses options, runs a command
// and decides, in one place, how an error is shown and which exit code it
// gets.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/clilogin/clilogin/internal/failure"
)

// Exit codes, as documented in the README.
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
func Run(ctx context.Context, args []string, env Env, stdio IO) int {
	o, err := parseOptions(args, env)
	if err == nil && o.Help {
		fmt.Fprint(stdio.Out, usage(o.Command))
		return ExitOK
	}
	steps := &timeline{}
	if err == nil {
		err = runCommand(ctx, o, env, stdio, steps)
	}
	return report(err, o, stdio, steps)
}

func runCommand(ctx context.Context, o Options, env Env, stdio IO, steps *timeline) error {
	switch o.Command {
	case "version":
		fmt.Fprintln(stdio.Out, "clilogin", version())
		return nil
	case "completion":
		return runCompletion(o.Args, stdio.Out)
	}
	a, err := newApp(o, env, stdio)
	if err != nil {
		return err
	}
	a.steps = steps
	switch o.Command {
	case "login":
		return runLogin(ctx, a)
	case "token":
		return runToken(ctx, a)
	case "whoami":
		return runWhoami(ctx, a)
	case "cookies":
		return runCookies(ctx, a)
	case "exec":
		return runExec(ctx, a)
	case "status":
		return runStatus(a)
	case "logout":
		return runLogout(a)
	}
	return fmt.Errorf("command %q has no implementation", o.Command)
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
	msg, hint := oneLine(err.Error()), failure.HintOf(err)
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
		fmt.Fprintf(l.w, "clilogin: [%6.2fs] %s\n", time.Since(l.start).Seconds(), fmt.Sprintf(format, args...))
	}
}
