package e2e

import (
	"context"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clilogin/clilogin/devstack"
)

// The grids CI shares browsers through, started once for the suite from
// testdata/grids's packages (Selenium Grid 4 with 2 slots, browserless
// with 2 concurrent sessions), on loopback with free ports.
var grids struct {
	gridOnce, blOnce sync.Once
	grid             *devstack.Grid
	gridErr          error
	bl               *devstack.Browserless
	blErr            error
}

func closeGrids() {
	if grids.grid != nil {
		grids.grid.Close()
	}
	if grids.bl != nil {
		grids.bl.Close()
	}
}

func needGrids(t *testing.T) {
	t.Helper()
	need(t, "Chromium", browserPaths["chromium"])
	need(t, "chromedriver", "/usr/bin/chromedriver")
	need(t, "Java", "java")
	if _, err := os.Stat("../" + devstack.GridsDir); err != nil {
		msg := "testdata/grids has no node_modules; run: make testdata/grids/node_modules/.package-lock.json (make test does)"
		if os.Getenv("CI") == "true" {
			t.Fatal("CI: " + msg)
		}
		t.Skip(msg)
	}
}

func seleniumGrid(t *testing.T) *devstack.Grid {
	t.Helper()
	needGrids(t)
	grids.gridOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		grids.grid, grids.gridErr = devstack.StartGrid(ctx, devstack.GridConfig{Modules: "../" + devstack.GridsDir, Slots: 2})
	})
	if grids.gridErr != nil {
		t.Fatal(grids.gridErr)
	}
	return grids.grid
}

func browserless(t *testing.T) *devstack.Browserless {
	t.Helper()
	needGrids(t)
	grids.blOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		grids.bl, grids.blErr = devstack.StartBrowserless(ctx, "../"+devstack.GridsDir, 2, io.Discard)
	})
	if grids.blErr != nil {
		t.Fatal(grids.blErr)
	}
	return grids.bl
}

var deletedSession = regexp.MustCompile(`WebDriver session ([0-9a-f]+) deleted`)

// noGridSession checks that the session a run opened was deleted, and that
// the Grid no longer runs it.
func noGridSession(t *testing.T, g *devstack.Grid, r result) {
	t.Helper()
	m := deletedSession.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Errorf("the run did not delete its WebDriver session:\n%s", r.stderr)
		return
	}
	// The Grid's /status may lag its DELETE by a moment.
	var node string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		st, err := g.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var ok bool
		if node, ok = st.Sessions()[m[1]]; !ok {
			return
		}
	}
	t.Errorf("session %s is still running on %s", m[1], node)
}

// Logins through a Selenium Grid URL: clilogin asks the endpoint what it
// is, opens a W3C session, logs in over its se:cdp and deletes the session
// on every path: success (cold and warm), a refused sign-in, a timeout,
// Ctrl-C, and a crash of the remote browser.
func TestSeleniumGrid(t *testing.T) {
	t.Parallel()
	g := seleniumGrid(t)
	remote := []string{"--remote-browser", g.URL, "-v"}

	// Chrome dies under the login: exit 6, and the session is deleted all
	// the same. When the Grid keeps the se:cdp WebSocket open, clilogin
	// asks the session once the page stops answering. First and alone, so that the
	// Grid's only Chrome is this login's.
	t.Run("remote browser crash", func(t *testing.T) {
		home := t.TempDir()
		p := startCLI(t, run{home: home, args: append(loginArgs(stack.BackendURL, home+"/p", "--success", "css:#never", "--timeout", "60s"), remote...),
			env: []string{"CLILOGIN_PASSWORD=" + password}})
		p.waitFor(t, "/callback?code=REDACTED")
		pids := gridChromes(t)
		if len(pids) != 1 {
			t.Fatalf("want one Chrome under the Grid, got %v", pids)
		}
		crashed := time.Now()
		syscall.Kill(pids[0], syscall.SIGKILL)
		r := p.wait(t, crashed)
		wantCode(t, r, 6) // "the browser exited…" or "the remote browser's session ended…"
		wantContains(t, "stderr", r.stderr, "clilogin: error: the ")
		noGridSession(t, g, r)
	})

	t.Run("group", func(t *testing.T) {
		t.Run("cold and warm", func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			cold := clilogin(t, run{home: home, args: append(loginArgs(stack.BackendURL, home+"/p"), remote...),
				env: []string{"CLILOGIN_PASSWORD=" + password}})
			wantCode(t, cold, 0)
			wantContains(t, "stdout", cold.stdout, "as alice@example.com")
			wantContains(t, "stderr", cold.stderr, "a WebDriver endpoint")
			wantContains(t, "stderr", cold.stderr, "filled credentials")
			noGridSession(t, g, cold)
			warm := clilogin(t, run{home: home, args: append(loginArgs(stack.BackendURL, home+"/p", "--no-replay"), remote...)})
			wantCode(t, warm, 0)
			if strings.Contains(warm.stderr, "filled") {
				t.Errorf("the warm login filled the form again:\n%s", warm.stderr)
			}
			wantContains(t, "stderr", warm.stderr, "restored 1 cookies of the identity provider's session")
			noGridSession(t, g, warm)
		})
		t.Run("refused", func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			r := clilogin(t, run{home: home, args: append(loginArgs(stack.BackendURL, home+"/p"), remote...),
				env: []string{"CLILOGIN_PASSWORD=not-the-password"}})
			wantCode(t, r, 4)
			noGridSession(t, g, r)
		})
		t.Run("timeout", func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			r := clilogin(t, run{home: home, args: append(loginArgs(stack.BackendURL, home+"/p", "--success", "css:#never", "--timeout", "12s"), remote...),
				env: []string{"CLILOGIN_PASSWORD=" + password}})
			wantCode(t, r, 3)
			noGridSession(t, g, r)
		})
		t.Run("ctrl-c", func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			p := startCLI(t, run{home: home, args: append(loginArgs(stack.BackendURL, home+"/p", "--success", "css:#never"), remote...),
				env: []string{"CLILOGIN_PASSWORD=" + password}})
			p.waitFor(t, "/callback?code=REDACTED")
			sent := time.Now()
			p.cmd.Process.Signal(syscall.SIGINT)
			r := p.wait(t, sent)
			failedInterrupted(t, r)
			noGridSession(t, g, r)
		})
	})
	var left map[string]string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		st, err := g.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if left = st.Sessions(); len(left) == 0 {
			return
		}
	}
	t.Errorf("sessions left on the Grid: %v", left)
}

// gridChromes returns the PIDs of the Chrome browser processes (not their
// helpers) that the Grid's chromedrivers started.
func gridChromes(t *testing.T) []int {
	t.Helper()
	var pids []int
	for _, line := range processesMentioning("--test-type=webdriver") {
		pid, cmd, _ := strings.Cut(line, ": ")
		if strings.Contains(cmd, "--type=") {
			continue
		}
		n, _ := strconv.Atoi(pid)
		pids = append(pids, n)
	}
	return pids
}

// Logins through browserless, at its WebSocket URL as given (the ?token=
// kept) and at its HTTP endpoint; the token never shows; no session is
// left in browserless afterwards.
func TestBrowserless(t *testing.T) {
	t.Parallel()
	b := browserless(t)
	noSessions := func(t *testing.T) {
		t.Helper()
		var n int
		var err error
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if n, err = b.Sessions(context.Background()); err == nil && n == 0 {
				return
			}
		}
		t.Errorf("browserless still runs %d sessions (%v)", n, err)
	}
	ws := "ws://" + strings.TrimPrefix(b.URL, "http://") + "?token=" + b.Token
	noToken := func(t *testing.T, r result) {
		t.Helper()
		if strings.Contains(r.stderr+r.stdout, b.Token) {
			t.Errorf("the token shows:\n%s", r.stderr)
		}
	}
	t.Run("cold and warm", func(t *testing.T) {
		t.Parallel()
		home := t.TempDir()
		cold := clilogin(t, run{home: home, args: append(loginArgs(stack.BackendURL, home+"/p"), "--remote-browser", ws, "-v"),
			env: []string{"CLILOGIN_PASSWORD=" + password}})
		wantCode(t, cold, 0)
		wantContains(t, "stderr", cold.stderr, "a DevTools WebSocket, used as given")
		noToken(t, cold)
		warm := clilogin(t, run{home: home, args: append(loginArgs(stack.BackendURL, home+"/p", "--no-replay"),
			"--remote-browser", b.URL+"?token="+b.Token, "-v")})
		wantCode(t, warm, 0)
		wantContains(t, "stderr", warm.stderr, "a DevTools HTTP endpoint")
		if strings.Contains(warm.stderr, "filled") {
			t.Errorf("the warm login filled the form again:\n%s", warm.stderr)
		}
		noToken(t, warm)
	})
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		home := t.TempDir()
		r := clilogin(t, run{home: home, args: append(loginArgs(stack.BackendURL, home+"/p"), "--remote-browser", ws),
			env: []string{"CLILOGIN_PASSWORD=not-the-password"}})
		wantCode(t, r, 4)
		noToken(t, r)
	})
	t.Run("timeout and ctrl-c", func(t *testing.T) {
		t.Parallel()
		home := t.TempDir()
		r := clilogin(t, run{home: home, args: append(loginArgs(stack.BackendURL, home+"/p", "--success", "css:#never", "--timeout", "12s"), "--remote-browser", ws),
			env: []string{"CLILOGIN_PASSWORD=" + password}})
		wantCode(t, r, 3)
		noToken(t, r)
		p := startCLI(t, run{home: home, args: append(loginArgs(stack.BackendURL, home+"/p", "--success", "css:#never"), "--remote-browser", ws, "-v"),
			env: []string{"CLILOGIN_PASSWORD=" + password}})
		p.waitFor(t, "/callback?code=REDACTED")
		sent := time.Now()
		p.cmd.Process.Signal(syscall.SIGINT)
		failedInterrupted(t, p.wait(t, sent))
	})
	t.Cleanup(func() { noSessions(t) }) // after the subtests

}
