package e2e

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clilogin/clilogin/devstack"
)

// accountUsers are three users of one IdP, each with a password of their
// own, so that a form filled with the wrong one would fail.
var accountUsers = []devstack.User{
	{Username: "alice", Email: "alice@example.test", Password: "alice-pw-1"},
	{Username: "bob", Email: "bob@example.test", Password: "bob-pw-2"},
	{Username: "carol", Email: "carol@example.test", Password: "carol-pw-3"},
}

// asUser is the environment of a headless run signing in as u; no
// CLILOGIN_USERNAME, so that each command names its user with -u.
func asUser(backend string, u devstack.User) []string {
	return []string{"CLILOGIN_BACKEND=" + backend, "CLILOGIN_PASSWORD=" + u.Password,
		"CLILOGIN_HEADLESS=true", "CLILOGIN_TIMEOUT=30s"}
}

// tokenEmail is the email claim of a JWT.
func tokenEmail(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %.20q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Email string `json:"email"`
	}
	if err := json.Unmarshal(b, &claims); err != nil {
		t.Fatal(err)
	}
	return claims.Email
}

// loginJSON runs login -o json and returns its identity and source.
func loginJSON(t *testing.T, home, backend string, u devstack.User, extra ...string) (identity, source string, r result) {
	t.Helper()
	r = clilogin(t, run{args: append([]string{"login", "-u", u.Email, "-o", "json", "-v"}, extra...), env: asUser(backend, u), home: home})
	wantCode(t, r, 0)
	var out struct {
		Identity string `json:"identity"`
		Source   string `json:"source"`
		Account  string `json:"account"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("login -o json: %v\n%s", err, r)
	}
	return out.Identity, out.Source, r
}

// Guards: a second user of one backend never gets the first one's token,
// identity or IdP session, whichever way the login goes.
func TestSecondUserNeverGetsTheFirstUsersLogin(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	alice, bob := accountUsers[0], accountUsers[1]
	start := func(t *testing.T) (*devstack.Stack, string) {
		s := newStack(t, devstack.Config{Users: accountUsers})
		home := t.TempDir()
		if id, _, r := loginJSON(t, home, s.BackendURL, alice); id != alice.Email {
			t.Fatalf("alice's login signed in %q\n%s", id, r)
		}
		return s, home
	}
	t.Run("token -u bob after alice", func(t *testing.T) {
		t.Parallel()
		s, home := start(t)
		r := clilogin(t, run{args: []string{"token", "-u", bob.Email}, env: asUser(s.BackendURL, bob), home: home})
		wantCode(t, r, 0)
		if got := tokenEmail(t, r.stdout); got != bob.Email {
			t.Errorf("token -u %s printed a token of %s", bob.Email, got)
		}
		w := clilogin(t, run{args: []string{"whoami", "-u", bob.Email}, env: asUser(s.BackendURL, bob), home: home})
		wantCode(t, w, 0)
		if got := strings.TrimSpace(w.stdout); got != bob.Email {
			t.Errorf("whoami -u %s says %s", bob.Email, got)
		}
	})
	t.Run("login -u bob after alice, browser", func(t *testing.T) {
		t.Parallel()
		s, home := start(t)
		id, src, r := loginJSON(t, home, s.BackendURL, bob, "--no-replay")
		if id != bob.Email || src != "browser" {
			t.Errorf("login -u %s --no-replay: %s by %s, want %s by the browser\n%s", bob.Email, id, src, bob.Email, r)
		}
	})
	t.Run("login -u bob after alice, replay", func(t *testing.T) {
		t.Parallel()
		s, home := start(t)
		s.ForgetSessions()
		id, _, r := loginJSON(t, home, s.BackendURL, bob)
		if id != bob.Email {
			t.Errorf("login -u %s signed in %s\n%s", bob.Email, id, r)
		}
	})
}

// Each of alice and bob gets their own token and identity from login,
// token, whoami, cookies and exec, by the browser and by the replay; a
// command that names no account, with two cached, exits 2 and lists them.
func TestTwoAccountsOnOneBackend(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	s := newStack(t, devstack.Config{Users: accountUsers})
	home := t.TempDir()
	alice, bob := accountUsers[0], accountUsers[1]
	check := func(t *testing.T, u devstack.User, how string) {
		t.Helper()
		env := asUser(s.BackendURL, u)
		tok := clilogin(t, run{args: []string{"token", "-u", u.Email}, env: env, home: home})
		wantCode(t, tok, 0)
		if got := tokenEmail(t, tok.stdout); got != u.Email {
			t.Errorf("%s: token -u %s is %s's", how, u.Email, got)
		}
		// --account names the account as well as -u does.
		w := clilogin(t, run{args: []string{"whoami", "--account", u.Email, "-o", "json"}, env: env, home: home})
		wantCode(t, w, 0)
		wantContains(t, how+": whoami -o json", w.stdout, `"identity":"`+u.Email+`"`)
		wantContains(t, how+": whoami -o json", w.stdout, `"account":"`+u.Email+`"`)
		c := clilogin(t, run{args: []string{"cookies", "-u", u.Email, "--format", "header"}, env: env, home: home})
		wantCode(t, c, 0)
		req, _ := http.NewRequest("GET", s.BackendURL+"/user/token", nil)
		req.Header.Set("Cookie", strings.TrimSpace(c.stdout))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := tokenEmail(t, string(body)); got != u.Email {
			t.Errorf("%s: the cookies of -u %s are %s's", how, u.Email, got)
		}
		x := clilogin(t, run{args: []string{"exec", "-u", u.Email, "--", "sh", "-c", `printf %s "$CLILOGIN_TOKEN"`}, env: env, home: home})
		wantCode(t, x, 0)
		if got := tokenEmail(t, x.stdout); got != u.Email {
			t.Errorf("%s: exec -u %s got %s's token", how, u.Email, got)
		}
	}
	for _, u := range []devstack.User{alice, bob} {
		if id, src, r := loginJSON(t, home, s.BackendURL, u); id != u.Email || src != "browser" {
			t.Fatalf("login -u %s: %s by %s\n%s", u.Email, id, src, r)
		}
		check(t, u, "after the browser")
	}
	s.ForgetSessions()
	for _, u := range []devstack.User{alice, bob} {
		if id, src, r := loginJSON(t, home, s.BackendURL, u); id != u.Email || src != "replay" {
			t.Fatalf("login -u %s: %s by %s, want the replay\n%s", u.Email, id, src, r)
		}
		check(t, u, "after the replay")
	}

	env := []string{"CLILOGIN_BACKEND=" + s.BackendURL, "CLILOGIN_HEADLESS=true"}
	r := clilogin(t, run{args: []string{"token"}, env: env, home: home})
	wantCode(t, r, 2)
	wantContains(t, "stderr", r.stderr, alice.Email)
	wantContains(t, "stderr", r.stderr, bob.Email)
	if r.stdout != "" {
		t.Errorf("an unnamed token with two accounts printed %q", r.stdout)
	}

	st := clilogin(t, run{args: []string{"status"}, home: home})
	wantCode(t, st, 0)
	wantContains(t, "status", st.stdout, "ACCOUNT")
	wantContains(t, "status", st.stdout, alice.Email)
	wantContains(t, "status", st.stdout, bob.Email)

	out := clilogin(t, run{args: []string{"logout", "--account", alice.Email}, env: env, home: home})
	wantCode(t, out, 0)
	// One account left: it serves a command that names none.
	w := clilogin(t, run{args: []string{"whoami"}, env: env, home: home})
	wantCode(t, w, 0)
	if got := strings.TrimSpace(w.stdout); got != bob.Email {
		t.Errorf("whoami with bob's account alone says %s", got)
	}
	all := clilogin(t, run{args: []string{"logout", "--all"}, env: env, home: home})
	wantCode(t, all, 0)
	if files, _ := filepath.Glob(filepath.Join(home, ".cache", "clilogin", "*.json")); len(files) != 0 {
		t.Errorf("logout --all left %q", files)
	}
}

// Three users log in to one backend at once, each in a browser of their
// own, and each gets their own identity. The wall time of the three
// parallel logins and of three sequential ones is logged (not asserted:
// speed belongs in make bench).
func TestThreeUsersLogInAtOnce(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	s := newStack(t, devstack.Config{Users: accountUsers})
	logins := func(home string, parallel bool) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for _, u := range accountUsers {
			one := func() {
				r := clilogin(t, run{args: []string{"login", "-u", u.Email, "--no-replay", "-o", "json"}, env: asUser(s.BackendURL, u), home: home})
				if r.code != 0 || !strings.Contains(r.stdout, `"identity":"`+u.Email+`"`) {
					t.Errorf("login -u %s: %s", u.Email, r)
				}
			}
			if !parallel {
				one()
				continue
			}
			wg.Add(1)
			go func() { defer wg.Done(); one() }()
		}
		wg.Wait()
		return time.Since(start)
	}
	par := logins(t.TempDir(), true)
	seq := logins(t.TempDir(), false)
	t.Logf("three logins: %s in parallel, %s one after another", par.Round(time.Millisecond), seq.Round(time.Millisecond))
}

// An entry and a profile written before accounts (no account or username
// recorded, the profile named host_port) are the default account: read as
// before, without a new login.
func TestCacheFromBeforeAccounts(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	s := newStack(t, devstack.Config{})
	home := t.TempDir()
	env := scriptEnv(s.BackendURL)
	// --account default writes where clilogin before accounts did.
	wantCode(t, clilogin(t, run{args: []string{"login", "--account", "default"}, env: env, home: home}), 0)
	path, e := cacheEntry(t, home)
	delete(e, "account")
	delete(e, "username")
	writeCacheEntry(t, path, e)
	plain := []string{"CLILOGIN_BACKEND=" + s.BackendURL, "CLILOGIN_HEADLESS=true"}
	r := clilogin(t, run{args: []string{"whoami", "-o", "json"}, env: plain, home: home})
	wantCode(t, r, 0)
	wantContains(t, "whoami -o json", r.stdout, `"source":"cache"`)
	wantContains(t, "whoami -o json", r.stdout, `"account":"default"`)
	wantContains(t, "whoami -o json", r.stdout, devstack.DemoUser.Email)
	// The backend forgets; the old profile's IdP session signs in again.
	s.ForgetSessions()
	l := clilogin(t, run{args: []string{"login", "-v", "--no-replay", "-o", "json"}, env: plain, home: home})
	wantCode(t, l, 0)
	wantContains(t, "login -o json", l.stdout, devstack.DemoUser.Email)
	if strings.Contains(l.stderr, "filled") {
		t.Errorf("the old profile's session was not used:\n%s", l.stderr)
	}
	profiles, _ := os.ReadDir(filepath.Join(home, ".config", "clilogin", "profiles"))
	if len(profiles) != 1 {
		t.Errorf("want the one old profile, got %d", len(profiles))
	}

	// An old entry of a login with -u: the account of its recorded user
	// takes it over, without a new login, by the cache and by its IdP
	// session (put back into the account's new profile).
	path, e = cacheEntry(t, home)
	delete(e, "account")
	delete(e, "username")
	writeCacheEntry(t, path, e)
	r = clilogin(t, run{args: []string{"token", "-o", "json"}, env: env, home: home})
	wantCode(t, r, 0)
	wantContains(t, "token -u -o json", r.stdout, `"source":"cache"`)
	wantContains(t, "token -u -o json", r.stdout, `"account":"`+devstack.DemoUser.Email+`"`)
	s.ForgetSessions()
	l = clilogin(t, run{args: []string{"login", "-v", "--no-replay", "-o", "json"}, env: env, home: home})
	wantCode(t, l, 0)
	wantContains(t, "login -o json", l.stdout, `"identity":"`+devstack.DemoUser.Email+`"`)
	if strings.Contains(l.stderr, "filled") {
		t.Errorf("the old entry's IdP session was not used:\n%s", l.stderr)
	}
}

// One account signed in as alice, then asked for as bob: alice's IdP
// session is not replayed, and the browser, its cookies cleared, shows
// Dex's form and fills it as bob — by the replay's path and by the
// browser's (--no-replay).
func TestAnotherUserOnOneAccountIsAskedFor(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	alice, bob := accountUsers[0], accountUsers[1]
	for _, extra := range [][]string{nil, {"--no-replay"}} {
		t.Run(strings.Join(append([]string{"login"}, extra...), " "), func(t *testing.T) {
			t.Parallel()
			s := newStack(t, devstack.Config{Users: accountUsers})
			home := t.TempDir()
			if id, _, r := loginJSON(t, home, s.BackendURL, alice, "--account", "shared"); id != alice.Email {
				t.Fatalf("alice's login: %s\n%s", id, r)
			}
			s.ForgetSessions()
			id, src, r := loginJSON(t, home, s.BackendURL, bob, append([]string{"--account", "shared"}, extra...)...)
			if id != bob.Email || src != "browser" {
				t.Errorf("login --account shared -u bob: %s by %s, want bob by the browser\n%s", id, src, r)
			}
			wantContains(t, "-v log", r.stderr, "cleared the browser's cookies")
			wantContains(t, "-v log", r.stderr, "filled")
			if strings.Contains(r.stderr, "signed in again over HTTP") {
				t.Errorf("alice's IdP session was replayed for bob:\n%s", r.stderr)
			}
			tok := clilogin(t, run{args: []string{"token", "--account", "shared"}, env: asUser(s.BackendURL, bob), home: home})
			wantCode(t, tok, 0)
			if got := tokenEmail(t, tok.stdout); got != bob.Email {
				t.Errorf("the shared account's token is %s's", got)
			}
		})
	}
}
