package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/clilogin/clilogin/internal/browser"
	"github.com/clilogin/clilogin/internal/escape"
)

// termPrompter asks at the terminal: questions and notices on stderr,
// answers from stdin, a secret without echo. What is typed is returned to
// the login and never written anywhere.
type termPrompter struct {
	in  io.Reader
	fd  int // stdin's terminal
	err io.Writer
}

// prompter is the terminal prompter of a headless login, or nil when the
// login must not ask: --no-prompt, a window (the person answers there), or
// stdin or stderr not a terminal (CI, a pipe).
func (a *app) prompter() browser.Prompter {
	o, stdio := a.o, a.stdio
	if o.NoPrompt || !o.Headless || !stdio.InIsTerminal || !stdio.ErrIsTerminal || o.PasswordStdin {
		return nil
	}
	f, ok := stdio.In.(interface{ Fd() uintptr })
	if !ok {
		return nil
	}
	return &termPrompter{in: stdio.In, fd: int(f.Fd()), err: stdio.Err}
}

// Ask shows question and reads one line.
func (p *termPrompter) Ask(ctx context.Context, question string) (string, error) {
	fmt.Fprint(p.err, question)
	return p.read(ctx, func() (string, error) {
		line, err := readLine(p.in)
		if err == nil && line == "" {
			return "", nil
		}
		return strings.TrimSpace(line), err
	})
}

// AskSecret shows question and reads one line without echo; the
// terminal's state is put back however the read ends.
func (p *termPrompter) AskSecret(ctx context.Context, question string) (string, error) {
	state, err := term.GetState(p.fd)
	if err != nil {
		return "", fmt.Errorf("reading the terminal: %w", err)
	}
	defer func() { _ = term.Restore(p.fd, state) }()
	fmt.Fprint(p.err, question)
	s, err := p.read(ctx, func() (string, error) {
		b, err := term.ReadPassword(p.fd)
		return string(b), err
	})
	fmt.Fprintln(p.err) // the newline the person typed was not echoed
	return s, err
}

// Choose lists options and reads the number of one.
func (p *termPrompter) Choose(ctx context.Context, question string, options []string) (int, error) {
	fmt.Fprintln(p.err, "clilogin: "+question)
	for i, o := range options {
		fmt.Fprintf(p.err, "  %d) %s\n", i+1, escape.Control(o))
	}
	for {
		s, err := p.Ask(ctx, fmt.Sprintf("Choose 1-%d: ", len(options)))
		if err != nil {
			return 0, err
		}
		if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= len(options) {
			return n - 1, nil
		}
	}
}

// Notify writes one line.
func (p *termPrompter) Notify(msg string) {
	fmt.Fprintln(p.err, "clilogin: "+msg)
}

// read runs a blocking read of the terminal until it answers or ctx ends
// (the login's deadline, Ctrl-C).
func (p *termPrompter) read(ctx context.Context, f func() (string, error)) (string, error) {
	type answer struct {
		s   string
		err error
	}
	got := make(chan answer, 1)
	go func() {
		s, err := f()
		got <- answer{s, err}
	}()
	select {
	case a := <-got:
		if errors.Is(a.err, io.EOF) {
			return "", errors.New("the terminal closed its input")
		}
		return a.s, a.err
	case <-ctx.Done():
		fmt.Fprintln(p.err)
		return "", context.Cause(ctx)
	}
}
