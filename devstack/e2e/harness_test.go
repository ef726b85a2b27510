// Package e2e runs the real clilogin binary against real parts: Chromium,
// the Dex identity provider and the reference backend of the devstack, and
// a Node.js backend with another OIDC provider.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/devstack"
)

var (
	cliBin string          // the clilogin binary under test, built with -race
	stack  *devstack.Stack // the shared Dex + backend stack
)

const password = "wonderland-42" // devstack.DemoUser's

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "clilogin-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	cliBin = filepath.Join(dir, "clilogin")
	build := exec.Command("go", "build", "-race", "-o", cliBin, "./cmd/clilogin")
	build.Dir = "../.." // the clilogin module, built with its own go.mod
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building clilogin: %v\n%s", err, out)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stack, err = devstack.Start(ctx, devstack.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stack.Close()
	defer closeGrids()
	return m.Run()
}

// browserPaths are the Chromium binaries the tests use.
var browserPaths = map[string]string{
	"shell":    "/usr/lib/chromium/chromium-headless-shell",
	"chromium": "/usr/lib/chromium/chromium",
}

// need skips the test when a part is missing on a developer's machine, and
// fails it in CI (CI=true), where a skipped browser test would hide a gap.
func need(t *testing.T, what, path string) {
	t.Helper()
	if _, err := exec.LookPath(path); err == nil {
		return
	}
	msg := fmt.Sprintf("%s not found at %s; install it with: scripts/deps.sh test (see README)", what, path)
	if os.Getenv("CI") == "true" {
		t.Fatal("CI: " + msg)
	}
	t.Skip(msg)
}

// result is one run of clilogin.
type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %s\nstdout:\n%s\nstderr:\n%s", r.code, r.took.Round(time.Millisecond), r.stdout, r.stderr)
}

// run is one clilogin invocation with its own clean environment.
type run struct {
	args    []string
	env     []string // extra NAME=value
	stdin   string
	home    string // HOME (and so the config and cache dirs); a temp dir by default
	timeout time.Duration
}

// clilogin runs the binary and checks that it left no browser process and
// no temporary folder behind.
func clilogin(t *testing.T, r run) result {
	t.Helper()
	if r.home == "" {
		r.home = t.TempDir()
	}
	if r.timeout == 0 {
		r.timeout = time.Minute
	}
	tmp := t.TempDir()
	dirs := append([]string{r.home, tmp}, profilesIn(r.args)...)
	// A browser that was on a profile before this run (a test may hold one
	// on purpose) is not this run's.
	before := map[string]bool{}
	for _, dir := range dirs {
		for _, p := range processesMentioning(dir) {
			before[p] = true
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliBin, r.args...)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + r.home,
		"XDG_CONFIG_HOME=" + filepath.Join(r.home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(r.home, ".cache"),
		"TMPDIR=" + tmp,
	}, r.env...)
	cmd.Stdin = strings.NewReader(r.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running clilogin: %v", err)
	}
	for _, dir := range dirs {
		noBrowserLeft(t, dir, before)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
		t.Errorf("clilogin left %d entries in TMPDIR, e.g. %s", len(entries), entries[0].Name())
	}
	return res
}

// profilesIn returns the --profile directories of a clilogin command line,
// wherever they are: a browser clilogin starts names its profile in its
// own command line (--user-data-dir=…).
func profilesIn(args []string) []string {
	var dirs []string
	for i, a := range args {
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--profile="); ok && v != "" {
			dirs = append(dirs, v)
		} else if a == "--profile" && i+1 < len(args) {
			dirs = append(dirs, args[i+1])
		}
	}
	return dirs
}

// reporter is the part of *testing.T noBrowserLeft uses, so that a test can
// show that it fails.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// noBrowserLeft fails when a process whose command line mentions dir (a
// profile or temp dir of this test) is still running a moment after
// clilogin exited, unless it ran already before (the processes of
// processesMentioning in before).
func noBrowserLeft(t reporter, dir string, before map[string]bool) {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		left = left[:0]
		for _, p := range processesMentioning(dir) {
			if !descendsFrom(p, before) {
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			return
		}
	}
	t.Errorf("processes left behind: %q", left)
}

// descendsFrom reports whether the process of a processesMentioning line
// is one of before's or a child of one (a browser a test holds on purpose
// keeps starting helper processes).
func descendsFrom(line string, before map[string]bool) bool {
	pids := map[string]bool{}
	for b := range before {
		pid, _, _ := strings.Cut(b, ": ")
		pids[pid] = true
	}
	pid, _, _ := strings.Cut(line, ": ")
	for range 64 {
		if pids[pid] {
			return true
		}
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			return false
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 || fields[1] == "0" || fields[1] == "1" {
			return false
		}
		pid = fields[1]
	}
	return false
}

func processesMentioning(dir string) []string {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var found []string
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || len(b) == 0 { // gone, or a zombie
			continue
		}
		if cmd := strings.ReplaceAll(string(b), "\x00", " "); strings.Contains(cmd, dir) {
			found = append(found, filepath.Base(filepath.Dir(p))+": "+cmd[:min(len(cmd), 120)])
		}
	}
	return found
}

// loginArgs are the arguments of a headless login with autofill.
func loginArgs(backend, profile string, extra ...string) []string {
	return append([]string{"login", "--backend", backend, "--headless",
		"--username", devstack.DemoUser.Email, "--profile", profile, "--timeout", "30s"}, extra...)
}

func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit %d, got %s", code, r)
	}
}

func wantContains(t *testing.T, what, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Errorf("%s does not contain %q:\n%s", what, want, got)
	}
}

// devToolsPort waits until the Chrome using profile has written its
// DevTools port (with --remote-debugging-port=0) and returns it.
func devToolsPort(t *testing.T, profile string, running <-chan struct{}) string {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if b, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort")); err == nil {
			if port, _, ok := strings.Cut(string(b), "\n"); ok {
				return port
			}
		}
		select {
		case <-running:
			t.Fatal("the browser's owner exited before it opened its DevTools port")
		default:
		}
	}
	t.Fatal("no DevTools port after 20s")
	return ""
}

// newStack starts a devstack of its own for a test and stops it after.
func newStack(t *testing.T, cfg devstack.Config) *devstack.Stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := devstack.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
