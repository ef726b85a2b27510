package marker

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// One Chrome for the package's tests that hold the marker against the
// browser (its JS, the selector lists), as internal/browser's tests have.
var devtools string // http://127.0.0.1:PORT of the shared browser

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	bin := "/usr/lib/chromium/chromium-headless-shell"
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "CI: no Chromium headless shell at", bin, "(apt-get install chromium-headless-shell)")
			return 1
		}
		fmt.Fprintln(os.Stderr, "browser tests skipped: no", bin, "(apt-get install chromium-headless-shell)")
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "clilogin-marker-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--remote-debugging-port=0", "--user-data-dir="+dir,
		"--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "about:blank")
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	for deadline := time.Now().Add(10 * time.Second); devtools == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(filepath.Join(dir, "DevToolsActivePort")); err == nil {
			if port, _, ok := strings.Cut(string(b), "\n"); ok {
				devtools = "http://127.0.0.1:" + port
			}
		}
	}
	if devtools == "" {
		fmt.Fprintln(os.Stderr, "the test browser did not open its DevTools port")
		return 1
	}
	return m.Run()
}

func needBrowser(t *testing.T) {
	t.Helper()
	if devtools == "" {
		t.Skip("no Chromium headless shell on this machine (apt-get install chromium-headless-shell)")
	}
}
