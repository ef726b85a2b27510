// Command bench measures clilogin's speed and memory against the devstack
// (Dex and the reference backend, in-process): the real clilogin binary with
// the Chromium headless shell and full Chromium, cold and warm, headed under
// Xvfb, the token cache and the cookie path; a cold login with a consent
// step (testdata/nodestack's oidc-provider) and one through Glewlwyd's
// single-page sign-in; a cold login on the seed article's stack (its Flask
// backend, Dex) in alternation with the article's own Selenium CLI
// (testdata/backends/seed-flask/seed_cli.py); and the floors they are compared with: Chrome's bare
// start and close, the same login walked over plain HTTP, and the same pages
// walked by a plain CDP script that waits for nothing. It prints a table on
// stdout, progress on stderr, and writes the figures as JSON.
//
// Run it from the devstack directory (make bench does):
//
//	go run ./cmd/bench -clilogin ../bin/clilogin -json ../bench/results/bench.json [-n 5] [-skip-headed]
//
// It exits 0 when every scenario ran, whether the targets are met or not,
// and 1 when a scenario failed (e.g. clilogin exited non-zero).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/clilogin/clilogin/devstack"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command-line flags.
type options struct {
	n          int    // timed runs per scenario
	cli        string // the clilogin binary
	jsonPath   string // where the figures go
	skipHeaded bool
	only       map[string]bool // scenario IDs to run; empty runs all
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.n, "n", 5, "timed runs per scenario (the token scenarios run 4n, at least 20)")
	fs.StringVar(&o.cli, "clilogin", "../bin/clilogin", "the clilogin binary to measure")
	fs.StringVar(&o.jsonPath, "json", "../bench/results/bench.json", "write the figures as JSON to this file")
	fs.BoolVar(&o.skipHeaded, "skip-headed", false, "skip the headed login under Xvfb")
	only := fs.String("only", "", "run only these scenarios: IDs separated by commas, e.g. relogin-replay,warm-headless-login")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if *only != "" {
		o.only = map[string]bool{}
		for _, id := range strings.Split(*only, ",") {
			o.only[strings.TrimSpace(id)] = true
		}
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.n < 1 {
		return o, fmt.Errorf("-n must be at least 1, got %d", o.n)
	}
	var err error
	if o.cli, err = filepath.Abs(o.cli); err != nil {
		return o, fmt.Errorf("clilogin path: %w", err)
	}
	if o.jsonPath, err = filepath.Abs(o.jsonPath); err != nil {
		return o, fmt.Errorf("json path: %w", err)
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench: error: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	rep, err := benchmark(ctx, o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "bench: error: %v\n", err)
		return 1
	}
	rep.print(stdout)
	if err := rep.writeJSON(o.jsonPath); err != nil {
		fmt.Fprintf(stderr, "bench: error: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "bench: figures written to %s\n", o.jsonPath)
	if failed := rep.failed(); len(failed) > 0 {
		fmt.Fprintf(stderr, "bench: error: %d scenario(s) failed:\n", len(failed))
		for _, r := range failed {
			fmt.Fprintf(stderr, "  %s (%s): %s\n", r.Scenario, r.Browser, r.Error)
		}
		return 1
	}
	return 0
}

// benchmark starts the stack and runs every scenario. Its error is one that
// stops everything (no stack, no clilogin); a scenario's failure is kept in
// its result.
func benchmark(ctx context.Context, o options, log io.Writer) (*report, error) {
	version, err := cliloginVersion(ctx, o.cli)
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp("", "clilogin-bench-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(root)

	// The stack lives as long as ctx: go-oidc keeps the context it is given.
	// Fresh tokens: the cookie path gets a new token from every /user/token.
	stack, err := devstack.Start(ctx, devstack.Config{FreshTokens: true, TokenTTL: tokenTTL})
	if err != nil {
		return nil, fmt.Errorf("start the devstack: %w", err)
	}
	defer stack.Close()
	fmt.Fprintf(log, "bench: devstack: IdP %s, backend %s\n", stack.IssuerURL, stack.BackendURL)

	rep := newReport(ctx, o, version)
	b := &bench{opts: o, stack: stack, root: root, log: log}
	defer b.closeNode()
	defer b.closeGlewlwyd()
	for _, sc := range b.scenarios() {
		if len(o.only) > 0 && !o.only[sc.id] {
			continue
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("interrupted: %w", ctx.Err())
		}
		rep.add(b.measure(ctx, sc))
	}
	rep.finish()
	return rep, nil
}

// cliloginVersion checks that the binary runs and returns its version line.
func cliloginVersion(ctx context.Context, cli string) (string, error) {
	out, err := exec.CommandContext(ctx, cli, "version").Output()
	if err != nil {
		return "", fmt.Errorf("cannot run %s (build it with make build): %w", cli, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// bench is one benchmark run: the stack, the clilogin binary and the
// temporary directory every run's profile, HOME and TMPDIR live in.
type bench struct {
	opts  options
	stack *devstack.Stack
	root  string
	seq   int // numbers the run directories
	log   io.Writer
	// Started by the first scenario that needs them.
	ns      *nodeStack
	glew    *devstack.Stack // the backend that uses glewIdP
	glewIdP *devstack.Glewlwyd
	seed    *seedPairs // the seed's stack's runs, kept for both its rows
}

// dir makes a new directory for one run. The names have a fixed width, so
// that none is a prefix of another and a command line that mentions one
// mentions no other.
func (b *bench) dir(kind string) (string, error) {
	b.seq++
	d := filepath.Join(b.root, fmt.Sprintf("%s-%05d", kind, b.seq))
	if err := os.Mkdir(d, 0o700); err != nil {
		return "", fmt.Errorf("run dir: %w", err)
	}
	return d, nil
}

// runTimeout bounds one clilogin run or one browser start.
const runTimeout = 90 * time.Second
