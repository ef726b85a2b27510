// Package chrometest starts one headless Chrome for a package's tests, as
// chromedp's own tests do: each test then works in a tab or browser context
// of its own through the DevTools endpoint. It is imported by tests only.
package chrometest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Shell is Debian's Chromium headless shell, the browser of the tests.
const Shell = "/usr/lib/chromium/chromium-headless-shell"

// Main starts the headless shell, with args added to its switches, sets
// *devtools to its DevTools HTTP endpoint (http://127.0.0.1:PORT), runs m
// and returns its exit code, the browser ended. Without the shell the
// tests run with *devtools empty, so that each browser test skips (see
// Need), except under CI=true, where a missing browser fails the package.
func Main(m *testing.M, devtools *string, args ...string) int {
	if _, err := os.Stat(Shell); err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "CI: no Chromium headless shell at", Shell, "(apt-get install chromium-headless-shell)")
			return 1
		}
		fmt.Fprintln(os.Stderr, "browser tests skipped: no", Shell, "(apt-get install chromium-headless-shell)")
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "clilogin-chrome-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command(Shell, append([]string{"--headless", "--no-sandbox", "--remote-debugging-port=0", "--user-data-dir=" + dir,
		"--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"},
		append(args, "about:blank")...)...)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if *devtools = endpoint(dir, 10*time.Second); *devtools == "" {
		fmt.Fprintln(os.Stderr, "the test browser did not open its DevTools port")
		return 1
	}
	return m.Run()
}

// endpoint waits up to limit for Chrome to write its DevTools port into
// the profile, and returns the endpoint, or "" when it did not.
func endpoint(dir string, limit time.Duration) string {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(limit)
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "DevToolsActivePort")); err == nil {
			if port, _, ok := strings.Cut(string(b), "\n"); ok {
				return "http://127.0.0.1:" + port
			}
		}
		select {
		case <-tick.C:
		case <-deadline:
			return ""
		}
	}
}

// Need skips t when the package runs without a browser (see Main).
func Need(t *testing.T, devtools string) {
	t.Helper()
	if devtools == "" {
		t.Skip("no Chromium headless shell on this machine (apt-get install chromium-headless-shell)")
	}
}
