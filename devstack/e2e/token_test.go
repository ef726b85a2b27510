package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clilogin/clilogin/devstack"
)

// scriptEnv is the environment of a script that uses clilogin headless
// with the demo user's credentials.
func scriptEnv(backend string) []string {
	return []string{"CLILOGIN_BACKEND=" + backend, "CLILOGIN_USERNAME=" + devstack.DemoUser.Email,
		"CLILOGIN_PASSWORD=" + password, "CLILOGIN_HEADLESS=true", "CLILOGIN_TIMEOUT=30s"}
}

const browserStarted = "browser started"

func isJWT(s string) bool { return strings.Count(s, ".") == 2 && strings.HasPrefix(s, "eyJ") }

// token serves from the cache, then through the cookies without a browser
// when the cached token is about to expire, then through the browser when
// the backend's session is gone too — silently, with the IdP's session.
func TestTokenCacheThenCookiesThenBrowser(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	s := newStack(t, devstack.Config{TokenTTL: 2 * time.Minute, FreshTokens: true})
	home := t.TempDir()
	token := func(extra ...string) result {
		t.Helper()
		r := clilogin(t, run{args: append([]string{"token", "-v"}, extra...), env: scriptEnv(s.BackendURL), home: home})
		wantCode(t, r, 0)
		if tok := strings.TrimSpace(r.stdout); !isJWT(tok) || r.stdout != tok+"\n" {
			t.Fatalf("stdout is not a token alone: %q", r.stdout)
		}
		return r
	}

	first := token()
	wantContains(t, "first -v log", first.stderr, browserStarted)
	wantContains(t, "first -v log", first.stderr, "filled credentials")

	second := token()
	if second.stdout != first.stdout {
		t.Error("the second token differs: it was not served from the cache")
	}
	wantContains(t, "second -v log", second.stderr, "token from the cache")
	if strings.Contains(second.stderr, browserStarted) {
		t.Errorf("the second token started a browser:\n%s", second.stderr)
	}

	// The cached token is about to expire; the backend renews it.
	ageCachedToken(t, home, 30*time.Second)
	renewed := token("--min-ttl", "1m")
	wantContains(t, "renewal -v log", renewed.stderr, "with the cached cookies (no browser)")
	if strings.Contains(renewed.stderr, browserStarted) {
		t.Errorf("renewing through the cookies started a browser:\n%s", renewed.stderr)
	}
	if renewed.stdout == first.stdout {
		t.Error("the renewed token is the old one")
	}

	// The backend's sessions are gone: the IdP's session is replayed over
	// HTTP, no browser.
	s.ForgetSessions()
	ageCachedToken(t, home, 30*time.Second)
	replayed := token("--min-ttl", "1m")
	wantContains(t, "-v log", replayed.stderr, "the cached cookies no longer work")
	wantContains(t, "-v log", replayed.stderr, "signed in again over HTTP")
	if strings.Contains(replayed.stderr, browserStarted) {
		t.Errorf("the replay started a browser:\n%s", replayed.stderr)
	}

	// Without the replay, the browser signs in silently with the IdP's
	// session in the profile.
	s.ForgetSessions()
	ageCachedToken(t, home, 30*time.Second)
	again := token("--min-ttl", "1m", "--no-replay")
	wantContains(t, "-v log", again.stderr, "the cached cookies no longer work")
	wantContains(t, "-v log", again.stderr, browserStarted)
	if strings.Contains(again.stderr, "filled") {
		t.Errorf("the IdP session was lost: the form was filled again:\n%s", again.stderr)
	}

	// Files: 0600 in 0700 directories; the profile too.
	for path, want := range map[string]os.FileMode{
		filepath.Join(home, ".cache", "clilogin"):              0o700,
		filepath.Join(home, ".config", "clilogin", "profiles"): 0o700,
		accountProfile(t, home, s.BackendURL):                  0o700,
	} {
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: %v, mode %v, want %v", path, err, st.Mode().Perm(), want)
		}
	}
	files, _ := filepath.Glob(filepath.Join(home, ".cache", "clilogin", "*"))
	if len(files) == 0 {
		t.Error("nothing cached")
	}
	for _, f := range files {
		if st, _ := os.Stat(f); st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
}

// ageCachedToken makes the cached token look as if it expired in d, as
// time would, without waiting for it.
func ageCachedToken(t *testing.T, home string, d time.Duration) {
	t.Helper()
	path, e := cacheEntry(t, home)
	if _, ok := e["token_expires_at"]; !ok {
		t.Fatalf("the cache entry has no token_expires_at: %v", e)
	}
	e["token_expires_at"] = time.Now().Add(d).UTC().Format(time.RFC3339)
	writeCacheEntry(t, path, e)
}

// accountProfile is the one profile of the backend's accounts under home:
// host_port, or host_port@account-hash for an account other than the
// default one.
func accountProfile(t *testing.T, home, backendURL string) string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(home, ".config", "clilogin", "profiles", hostPortOf(backendURL)+"*"))
	if len(dirs) != 1 {
		t.Fatalf("want one profile of %s, got %q", backendURL, dirs)
	}
	return dirs[0]
}

func hostPortOf(u string) string {
	return strings.ReplaceAll(strings.TrimPrefix(u, "http://"), ":", "_")
}

// Eight token calls at once on an empty cache run one browser login; the
// others wait for it and print the same token.
func TestConcurrentTokenCallsStartOneBrowser(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	home := t.TempDir()
	results := make([]result, 8)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			results[i] = clilogin(t, run{args: []string{"token", "-v"}, env: scriptEnv(stack.BackendURL), home: home})
		})
	}
	wg.Wait()
	started := 0
	for i, r := range results {
		wantCode(t, r, 0)
		started += strings.Count(r.stderr, browserStarted)
		if r.stdout != results[0].stdout {
			t.Errorf("call %d printed another token", i)
		}
	}
	if started != 1 {
		t.Errorf("%d browsers started for 8 concurrent calls, want 1", started)
	}
}

// The exported cookies work in other tools: curl with the Netscape file and
// with the Cookie header, Playwright with the storageState file.
func TestCookiesWorkInCurlAndPlaywright(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	need(t, "curl", "curl")
	home, dir := t.TempDir(), t.TempDir()
	env := scriptEnv(stack.BackendURL)
	tok := clilogin(t, run{args: []string{"token"}, env: env, home: home})
	wantCode(t, tok, 0)
	want := strings.TrimSpace(tok.stdout)

	jar := clilogin(t, run{args: []string{"cookies"}, env: env, home: home})
	wantCode(t, jar, 0)
	wantContains(t, "netscape file", jar.stdout, "# Netscape HTTP Cookie File")
	wantContains(t, "netscape file", jar.stdout, "#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\t")
	jarFile := filepath.Join(dir, "jar.txt")
	os.WriteFile(jarFile, []byte(jar.stdout), 0o600)
	if got := runTool(t, "curl", "-sSf", "-b", jarFile, stack.BackendURL+"/user/token"); got != want {
		t.Errorf("curl -b jar.txt /user/token = %.20q…, want the token", got)
	}

	header := clilogin(t, run{args: []string{"cookies", "--format", "header"}, env: env, home: home})
	wantCode(t, header, 0)
	if got := runTool(t, "curl", "-sSf", "-H", "Cookie: "+strings.TrimSpace(header.stdout), stack.BackendURL+"/user/token"); got != want {
		t.Errorf("curl -H Cookie: /user/token = %.20q…, want the token", got)
	}

	state := clilogin(t, run{args: []string{"cookies", "--format", "playwright"}, env: env, home: home})
	wantCode(t, state, 0)
	stateFile := filepath.Join(dir, "state.json")
	os.WriteFile(stateFile, []byte(state.stdout), 0o600)
	need(t, "Node.js", "node")
	script, _ := filepath.Abs("../../testdata/nodestack/playwright-state.mjs")
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "playwright-core")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI: playwright-core is not installed in testdata/nodestack (npm ci)")
		}
		t.Skip("playwright-core is not installed: cd testdata/nodestack && npm ci")
	}
	if got := runTool(t, "node", script, stateFile, stack.BackendURL+"/user/token", browserPaths["chromium"]); got != want {
		t.Errorf("Playwright with the storageState got %.20q…, want the token", got)
	}
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s: %v\n%s", name, err, stderr)
	}
	return strings.TrimSpace(string(out))
}

// exec passes the token in CLILOGIN_TOKEN and its command's exit code on;
// whoami, status and logout do what they say, and status shows no secret.
func TestExecWhoamiStatusLogout(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	home := t.TempDir()
	env := scriptEnv(stack.BackendURL)
	tok := clilogin(t, run{args: []string{"token"}, env: env, home: home})
	wantCode(t, tok, 0)
	want := strings.TrimSpace(tok.stdout)

	r := clilogin(t, run{args: []string{"exec", "--", "sh", "-c", `test "$CLILOGIN_TOKEN" = "` + want + `" && exit 7`}, env: env, home: home})
	wantCode(t, r, 7)
	r = clilogin(t, run{args: []string{"exec", "--", "no-such-command-here"}, env: env, home: home})
	wantCode(t, r, 127)

	who := clilogin(t, run{args: []string{"whoami"}, env: env, home: home})
	wantCode(t, who, 0)
	if who.stdout != "alice@example.com\n" {
		t.Errorf("whoami = %q", who.stdout)
	}
	mismatch := clilogin(t, run{args: []string{"whoami", "--expect-identity", "bob@example.com"}, env: env, home: home})
	wantCode(t, mismatch, 4)
	wantContains(t, "stderr", mismatch.stderr, `logged in as "alice@example.com", expected "bob@example.com"`)

	status := clilogin(t, run{args: []string{"status"}, home: home})
	wantCode(t, status, 0)
	wantContains(t, "status", status.stdout, stack.BackendURL)
	wantContains(t, "status", status.stdout, "alice@example.com")
	wantContains(t, "status", status.stdout, "expires in ")
	cookieJar := clilogin(t, run{args: []string{"cookies", "--format", "header"}, env: env, home: home})
	cookieValue := strings.TrimPrefix(strings.TrimSpace(cookieJar.stdout), "session=")
	for _, secret := range []string{want, cookieValue, password} {
		if strings.Contains(status.stdout+status.stderr, secret) {
			t.Errorf("status shows a secret (%.6s…)", secret)
		}
	}

	out := clilogin(t, run{args: []string{"logout", "--profile"}, env: []string{"CLILOGIN_BACKEND=" + stack.BackendURL}, home: home})
	wantCode(t, out, 0)
	wantContains(t, "logout", out.stderr, "deleted the browser profile")
	status = clilogin(t, run{args: []string{"status"}, home: home})
	wantContains(t, "status after logout", status.stderr, "no cached logins")
	if left, _ := filepath.Glob(filepath.Join(home, ".config", "clilogin", "profiles", hostPortOf(stack.BackendURL)+"*")); len(left) != 0 {
		t.Errorf("the profile is still there: %q", left)
	}
}
