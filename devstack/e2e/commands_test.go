package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/clilogin/clilogin/devstack"
)

// --force skips a valid cached token and the cookies: the browser signs in
// again; without it the cache serves.
func TestForceSignsInAgain(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	s := newStack(t, devstack.Config{})
	home := t.TempDir()
	tok := func(extra ...string) result {
		t.Helper()
		r := clilogin(t, run{args: append([]string{"token", "-v"}, extra...), env: scriptEnv(s.BackendURL), home: home})
		wantCode(t, r, 0)
		if !isJWT(strings.TrimSpace(r.stdout)) {
			t.Fatalf("stdout is not a token: %q", r.stdout)
		}
		return r
	}
	tok()
	cached := tok()
	wantContains(t, "-v log", cached.stderr, "token from the cache")
	// --force signs in again as login does: the IdP's session replayed,
	// or, with --no-replay, the browser.
	forced := tok("--force")
	wantContains(t, "--force -v log", forced.stderr, "signed in again over HTTP")
	browser := tok("--force", "--no-replay")
	wantContains(t, "--force --no-replay -v log", browser.stderr, browserStarted)
	for _, r := range []result{forced, browser} {
		if strings.Contains(r.stderr, "token from the cache") || strings.Contains(r.stderr, "with the cached cookies") {
			t.Errorf("--force used the cache:\n%s", r.stderr)
		}
	}
}

// cookies --format json: clilogin's cookie objects, scoped to the backend,
// which another program can use to get the token.
func TestCookiesJSONEndToEnd(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	s := newStack(t, devstack.Config{})
	r := clilogin(t, run{args: []string{"cookies", "--format", "json"}, env: scriptEnv(s.BackendURL)})
	wantCode(t, r, 0)
	var cs []struct {
		Name     string `json:"name"`
		Value    string `json:"value"`
		Domain   string `json:"domain"`
		HostOnly bool   `json:"host_only"`
		Path     string `json:"path"`
		HTTPOnly bool   `json:"http_only"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &cs); err != nil || len(cs) == 0 {
		t.Fatalf("stdout is not a JSON list of cookies: %v: %s", err, r.stdout)
	}
	req, _ := http.NewRequest(http.MethodGet, s.BackendURL+"/user/token", nil)
	for _, c := range cs {
		if c.Domain != "127.0.0.1" || !c.HostOnly || c.Path == "" {
			t.Errorf("cookie %s is not the backend's host-only cookie: %+v", c.Name, c)
		}
		if c.Name == "session" && !c.HTTPOnly {
			t.Errorf("the HttpOnly session cookie lost its flag: %+v", c)
		}
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !isJWT(string(body)) {
		t.Errorf("the backend did not answer a token for the JSON cookies: %s %.40q", resp.Status, body)
	}
}
