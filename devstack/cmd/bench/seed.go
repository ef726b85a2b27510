package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/clilogin/clilogin/devstack"
)

// The seed's stack: the seed article's Flask backend (testdata/backends/
// seed-flask, as published) with Dex showing its sign-in and approval
// pages. On it, clilogin's cold login and the seed article's own Selenium
// CLI (seed_cli.py there) run in alternation, each with a fresh profile,
// each ending when the user's email is printed. Issue 22's target: clilogin
// ≤ 0.30× the Selenium script.

const (
	idSeed = "seed-cold-login" // both rows: clilogin's and the Selenium script's

	seedDir     = "../testdata/backends/seed-flask" // from the devstack directory
	python      = "/usr/bin/python3"                // Debian's, with the python3-* packages
	chromedrv   = "/usr/bin/chromedriver"
	seleniumRow = "selenium" // the browser column of the Selenium row (Chromium through chromedriver)
	seedClient  = "seed-flask"
	seedSecret  = "seed-secret"
)

// seedStack is the running seed's stack.
type seedStack struct {
	stack *devstack.Stack
	url   string // the Flask backend
	cmd   *exec.Cmd
	ln    net.Listener
	logs  *bytes.Buffer
}

// seedPairs are the figures of the alternating runs, kept for every row.
type seedPairs struct {
	cli      map[string][]sample // by browser name
	selenium []sample
	err      error
}

// seedScenarios are the rows: clilogin's cold login with each browser
// (the headless shell is what a headless login picks by default; Chromium
// is the binary the Selenium script drives), then the Selenium script. The
// first row asked for runs all the runs.
func (b *bench) seedScenarios() []scenario {
	var s []scenario
	for _, br := range browsers() {
		s = append(s, scenario{idSeed, "cold login, seed's stack", br.name, br.path,
			func(ctx context.Context) ([]sample, error) { return b.seedRow(ctx, br.name) }})
	}
	return append(s, scenario{idSeed, "seed's Selenium script (chromium)", seleniumRow, chromiumPath,
		func(ctx context.Context) ([]sample, error) { return b.seedRow(ctx, seleniumRow) }})
}

func (b *bench) seedRow(ctx context.Context, row string) ([]sample, error) {
	if b.seed == nil {
		b.seed = b.seedRuns(ctx)
	}
	if b.seed.err != nil {
		return nil, b.seed.err
	}
	if row == seleniumRow {
		return b.seed.selenium, nil
	}
	return b.seed.cli[row], nil
}

// seedRuns starts the seed's stack and runs n rounds: clilogin's cold
// login with each browser, then the script.
func (b *bench) seedRuns(ctx context.Context) *seedPairs {
	p := &seedPairs{cli: map[string][]sample{}}
	if err := needSeed(); err != nil {
		p.err = err
		return p
	}
	s, err := startSeed(ctx, b.root)
	if err != nil {
		p.err = err
		return p
	}
	defer s.close()
	fmt.Fprintf(b.log, "bench:   seed's Flask backend %s, Dex %s\n", s.url, s.stack.IssuerURL)
	for i := range b.opts.n {
		if err := ctx.Err(); err != nil {
			p.err = fmt.Errorf("interrupted: %w", err)
			return p
		}
		line := fmt.Sprintf("bench:   round %d/%d ", i+1, b.opts.n)
		for _, br := range browsers() {
			c, err := b.seedCold(ctx, s, br)
			if err != nil {
				p.err = fmt.Errorf("round %d of %d, clilogin (%s): %w", i+1, b.opts.n, br.name, err)
				return p
			}
			p.cli[br.name] = append(p.cli[br.name], c)
			line += fmt.Sprintf(" clilogin (%s) %s", br.name, formatDuration(c.took))
		}
		sel, err := b.seedSelenium(ctx, s)
		if err != nil {
			p.err = fmt.Errorf("round %d of %d, Selenium: %w", i+1, b.opts.n, err)
			return p
		}
		p.selenium = append(p.selenium, sel)
		fmt.Fprintf(b.log, "%s  selenium %s\n", line, formatDuration(sel.took))
	}
	return p
}

// needSeed skips the scenario where Python, its packages or chromedriver
// are missing.
func needSeed() error {
	if _, err := os.Stat(chromedrv); err != nil {
		return skipError{"no chromedriver (scripts/deps.sh test installs it)"}
	}
	out, err := exec.Command(python, "-c", "import flask, requests_oauthlib, jwt, cryptography, selenium").CombinedOutput()
	if err != nil {
		return skipError{fmt.Sprintf("%s cannot import the seed's packages (scripts/deps.sh test installs them): %s", python, lastLine(out))}
	}
	return nil
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// startSeed starts Dex (with its approval page) and the seed's Flask
// backend on a free port, and waits until the backend says it serves.
func startSeed(ctx context.Context, root string) (*seedStack, error) {
	dir, err := filepath.Abs(seedDir)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("seed backend: listen: %w", err)
	}
	s := &seedStack{ln: ln, url: "http://" + ln.Addr().String(), logs: &bytes.Buffer{}}
	s.stack, err = devstack.Start(ctx, devstack.Config{Approval: true,
		Clients: []devstack.Client{{ID: seedClient, Secret: seedSecret, RedirectURIs: []string{s.url + "/callback"}}}})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("start Dex for the seed's backend: %w", err)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		s.close()
		return nil, fmt.Errorf("seed backend: %w", err)
	}
	defer f.Close()
	s.cmd = exec.Command(python, "serve.py")
	s.cmd.Dir = dir
	s.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + root, "LISTEN_FD=3", "PYTHONDONTWRITEBYTECODE=1",
		"SEED_WELL_KNOWN_URL=" + s.stack.IssuerURL + "/.well-known/openid-configuration",
		"SEED_CLIENT_ID=" + seedClient, "SEED_CLIENT_SECRET=" + seedSecret, "OAUTHLIB_INSECURE_TRANSPORT=1"}
	s.cmd.ExtraFiles = []*os.File{f}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		s.close()
		return nil, err
	}
	s.cmd.Stderr = s.logs
	if err := s.cmd.Start(); err != nil {
		s.cmd = nil
		s.close()
		return nil, fmt.Errorf("start the seed's backend: %w", err)
	}
	// serve.py prints "serving" once app.py has loaded (it fetches Dex's
	// keys first); it has exited if stdout ends before.
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		ok := sc.Scan() && sc.Text() == "serving"
		ready <- ok
		_, _ = io.Copy(io.Discard, stdout) // s.logs has stderr's copier as its writer

	}()
	select {
	case ok := <-ready:
		if !ok {
			s.close()
			return nil, fmt.Errorf("the seed's backend did not start: %s", s.logs)
		}
	case <-time.After(30 * time.Second):
		s.close()
		return nil, fmt.Errorf("the seed's backend did not start in 30s: %s", s.logs)
	case <-ctx.Done():
		s.close()
		return nil, fmt.Errorf("interrupted: %w", ctx.Err())
	}
	return s, nil
}

func (s *seedStack) close() {
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
	}
	s.stack.Close()
	s.ln.Close()
}

// seedCold is one clilogin cold login on the seed's stack: fresh profile
// and HOME, the form filled in, the approval granted.
func (b *bench) seedCold(ctx context.Context, s *seedStack, br browser) (sample, error) {
	d, err := b.dir("seedcold")
	if err != nil {
		return sample{}, err
	}
	defer os.RemoveAll(d)
	profile := filepath.Join(d, "profile")
	args := []string{"login", "--backend", s.url, "--browser", br.path, "--profile", profile, "--timeout", cliTimeout, "--headless"}
	return b.login(ctx, invocation{dir: d, profile: profile, password: true, args: append(args, autofill()...)})
}

// seedSelenium is one run of the seed's Selenium script: a fresh profile
// and HOME, timed from the start of python to its exit, as clilogin is.
func (b *bench) seedSelenium(ctx context.Context, s *seedStack) (sample, error) {
	d, err := b.dir("selenium")
	if err != nil {
		return sample{}, err
	}
	defer os.RemoveAll(d)
	inv := invocation{dir: d, env: []string{"SEED_CLI_PASSWORD=" + devstack.DemoUser.Password}}
	env, err := inv.environ()
	if err != nil {
		return sample{}, err
	}
	script, err := filepath.Abs(filepath.Join(seedDir, "seed_cli.py"))
	if err != nil {
		return sample{}, err
	}
	rctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, python, script, s.url, filepath.Join(d, "profile"), devstack.DemoUser.Email)
	cmd.Dir, cmd.Env = d, env
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, fmt.Errorf("start the Selenium script: %w", err)
	}
	// python names the profile on its command line: the tree is python,
	// chromedriver and Chromium.
	sm := startSampler(d, 0, false)
	werr := cmd.Wait()
	took := time.Since(start)
	sm.stop()
	left := noneLeft(d, sm.tree)
	if werr != nil {
		return sample{}, fmt.Errorf("the Selenium script failed after %s: %w; its stderr:\n%s", formatDuration(took), werr, indent(stderr.String()))
	}
	if got, want := stdout.String(), devstack.DemoUser.Email+"\n"; got != want {
		return sample{}, fmt.Errorf("the Selenium script printed %q, want %q", got, want)
	}
	return sample{took: took, peakKB: -1}, left
}
