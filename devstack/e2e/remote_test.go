package e2e

import (
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// clilogin logs in in a tab of a Chrome that is already running (started
// here with a DevTools port on loopback), then closes only its tab.
func TestLoginWithRemoteBrowser(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	dir := t.TempDir()
	chrome := exec.Command(browserPaths["shell"], "--headless", "--no-sandbox", "--remote-debugging-port=0", "--user-data-dir="+dir,
		"--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic", "about:blank")
	chrome.Stdout, chrome.Stderr = io.Discard, io.Discard
	if err := chrome.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { chrome.Process.Kill(); chrome.Wait() }()
	endpoint := "http://127.0.0.1:" + devToolsPort(t, dir, nil)
	r := clilogin(t, run{args: []string{"login", "-b", stack.BackendURL, "--remote-browser", endpoint,
		"--username", "alice@example.com", "--timeout", "30s"}, env: []string{"CLILOGIN_PASSWORD=" + password}})
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "as alice@example.com")
	resp, err := http.Get(endpoint + "/json/list")
	if err != nil {
		t.Fatalf("the remote browser was closed: %v", err)
	}
	defer resp.Body.Close()
	list, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(list), stack.BackendURL) {
		t.Errorf("the login tab is still open:\n%s", list)
	}
	if chrome.ProcessState != nil {
		t.Error("the remote browser exited")
	}
}
