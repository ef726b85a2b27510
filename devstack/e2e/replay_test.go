package e2e

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/clilogin/clilogin/devstack"
)

// cacheEntry reads the one cache entry under home.
func cacheEntry(t *testing.T, home string) (string, map[string]any) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(home, ".cache", "clilogin", "*.json"))
	if len(files) != 1 {
		t.Fatalf("want one cache entry, got %q", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var e map[string]any
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return files[0], e
}

// writeCacheEntry writes a cache entry back, as the user's own 0600 file.
func writeCacheEntry(t *testing.T, path string, e map[string]any) {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// idpSessionValues are the values of the IdP session cookies in the cache.
func idpSessionValues(t *testing.T, home string) []string {
	t.Helper()
	_, e := cacheEntry(t, home)
	list, _ := e["idp_session"].([]any)
	var out []string
	for _, c := range list {
		if m, ok := c.(map[string]any); ok {
			out = append(out, m["name"].(string)+"="+m["value"].(string))
		}
	}
	return out
}

// A re-login after the backend's sessions are gone, with a live IdP
// session, needs no browser: the login is replayed over HTTP. The stored
// IdP session is never exported, and status shows only that it is kept.
func TestReplayAfterTheBackendForgets(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	for _, sessionOnly := range []bool{false, true} {
		name := "persistent IdP cookie"
		if sessionOnly {
			name = "session-only IdP cookie"
		}
		t.Run(name, func(t *testing.T) {
			s := newStack(t, devstack.Config{SessionOnly: sessionOnly})
			home := t.TempDir()
			env := scriptEnv(s.BackendURL)
			first := clilogin(t, run{args: []string{"login", "-v"}, env: env, home: home})
			wantCode(t, first, 0)
			wantContains(t, "first -v log", first.stderr, "filled credentials")
			if v := idpSessionValues(t, home); len(v) == 0 || !strings.Contains(strings.Join(v, " "), "dex_session=") {
				t.Fatalf("the IdP's session was not kept: %q", v)
			}

			s.ForgetSessions()
			ageCachedToken(t, home, 0)
			r := clilogin(t, run{args: []string{"token", "-v", "-o", "json"}, env: env, home: home})
			wantCode(t, r, 0)
			wantContains(t, "stdout", r.stdout, `"source":"replay"`)
			wantContains(t, "-v log", r.stderr, "signed in again over HTTP")
			if strings.Contains(r.stderr, browserStarted) {
				t.Errorf("the replay started a browser:\n%s", r.stderr)
			}
			for _, v := range idpSessionValues(t, home) {
				if strings.Contains(r.stderr, strings.SplitN(v, "=", 2)[1]) {
					t.Error("-v shows an IdP session cookie's value")
				}
			}

			for _, format := range []string{"netscape", "json", "playwright", "header"} {
				c := clilogin(t, run{args: []string{"cookies", "--format", format}, env: env, home: home})
				wantCode(t, c, 0)
				if strings.Contains(c.stdout, "dex_session") {
					t.Errorf("cookies --format %s exports the IdP's session:\n%s", format, c.stdout)
				}
			}
			st := clilogin(t, run{args: []string{"status"}, home: home})
			wantCode(t, st, 0)
			wantContains(t, "status", st.stdout, "IDP SESSION")
			wantContains(t, "status", st.stdout, "kept")
			for _, v := range idpSessionValues(t, home) {
				if strings.Contains(st.stdout, strings.SplitN(v, "=", 2)[1]) {
					t.Error("status shows an IdP session cookie's value")
				}
			}

			out := clilogin(t, run{args: []string{"logout"}, env: env, home: home})
			wantCode(t, out, 0)
			if files, _ := filepath.Glob(filepath.Join(home, ".cache", "clilogin", "*.json")); len(files) != 0 {
				t.Errorf("logout left %q", files)
			}
		})
	}
}

// Chrome drops session-only cookies when it starts again; clilogin puts
// the stored IdP session back, so the first browser login after a restart
// is silent.
func TestSessionOnlyIdPCookieSurvivesABrowserRestart(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	s := newStack(t, devstack.Config{SessionOnly: true})
	home := t.TempDir()
	env := scriptEnv(s.BackendURL)
	wantCode(t, clilogin(t, run{args: []string{"login"}, env: env, home: home}), 0)
	s.ForgetSessions()
	r := clilogin(t, run{args: []string{"login", "-v", "--no-replay"}, env: env, home: home})
	wantCode(t, r, 0)
	wantContains(t, "-v log", r.stderr, browserStarted)
	wantContains(t, "-v log", r.stderr, "restored")
	if strings.Contains(r.stderr, "filled") {
		t.Errorf("the session-only IdP cookie was lost with the browser: the form was filled again:\n%s", r.stderr)
	}
}

// Where the replay cannot finish, the browser does, silently with -v
// saying why; a broken callback is an error, not a browser loop.
func TestReplayFallsBackToTheBrowser(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])

	t.Run("the IdP session has ended", func(t *testing.T) {
		s := newStack(t, devstack.Config{})
		home := t.TempDir()
		env := scriptEnv(s.BackendURL)
		wantCode(t, clilogin(t, run{args: []string{"login"}, env: env, home: home}), 0)
		// The stored session no longer works (the IdP forgot it); so does
		// the profile's, which is deleted.
		path, e := cacheEntry(t, home)
		for _, c := range e["idp_session"].([]any) {
			c.(map[string]any)["value"] = "ended"
		}
		writeCacheEntry(t, path, e)
		if err := os.RemoveAll(filepath.Join(home, ".config", "clilogin", "profiles")); err != nil {
			t.Fatal(err)
		}
		s.ForgetSessions()
		ageCachedToken(t, home, 0)
		r := clilogin(t, run{args: []string{"token", "-v", "-o", "json"}, env: env, home: home})
		wantCode(t, r, 0)
		wantContains(t, "-v log", r.stderr, "signing in with the browser")
		wantContains(t, "-v log", r.stderr, "sign-in form")
		wantContains(t, "stdout", r.stdout, `"source":"browser"`)
		for _, v := range idpSessionValues(t, home) {
			if strings.HasSuffix(v, "=ended") {
				t.Errorf("the stored session was not repaired: %q", v)
			}
		}
	})

	t.Run("the IdP asks for consent again", func(t *testing.T) {
		// Dex with a live session does not ask again; a consent step in
		// front of its authorize endpoint does, once it is switched on.
		var consent atomic.Bool
		s := newStack(t, devstack.Config{IdPFault: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				if !consent.Load() || !strings.HasSuffix(r.URL.Path, "/auth") || q.Get("consented") != "" {
					next.ServeHTTP(w, r)
					return
				}
				var hidden strings.Builder
				for k, vs := range q {
					for _, v := range vs {
						fmt.Fprintf(&hidden, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(v))
					}
				}
				fmt.Fprintf(w, `<!doctype html><title>Grant access</title><h1>clilogin demo wants to access your account</h1>
<form method="get" action="%s">%s<input type="hidden" name="consented" value="1">
<button type="submit">Allow</button> <button type="button" onclick="history.back()">Deny</button></form>`,
					html.EscapeString(r.URL.Path), hidden.String())
			})
		}})
		home := t.TempDir()
		env := scriptEnv(s.BackendURL)
		wantCode(t, clilogin(t, run{args: []string{"login"}, env: env, home: home}), 0)
		s.ForgetSessions()
		ageCachedToken(t, home, 0)
		consent.Store(true)
		r := clilogin(t, run{args: []string{"token", "-v", "-o", "json"}, env: env, home: home})
		wantCode(t, r, 0)
		wantContains(t, "-v log", r.stderr, "signing in with the browser")
		wantContains(t, "-v log", r.stderr, "a form")
		wantContains(t, "stdout", r.stdout, `"source":"browser"`)
	})

	t.Run("the callback answers 500", func(t *testing.T) {
		var broken atomic.Bool
		s := newStack(t, devstack.Config{BackendFault: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if broken.Load() && r.URL.Path == "/callback" {
					http.Error(w, "database down", http.StatusInternalServerError)
					return
				}
				next.ServeHTTP(w, r)
			})
		}})
		home := t.TempDir()
		env := scriptEnv(s.BackendURL)
		wantCode(t, clilogin(t, run{args: []string{"login"}, env: env, home: home}), 0)
		s.ForgetSessions()
		ageCachedToken(t, home, 0)
		broken.Store(true)
		r := clilogin(t, run{args: []string{"token", "-v"}, env: env, home: home})
		wantCode(t, r, 5)
		wantContains(t, "stderr", r.stderr, "clilogin: error: the backend's callback answered 500")
		if strings.Contains(r.stderr, browserStarted) {
			t.Errorf("a broken callback started a browser:\n%s", r.stderr)
		}
	})
}

// Two token calls at once, with the backend's sessions gone: one replays,
// the other waits for it and takes its token.
func TestConcurrentTokensReplayOnce(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	s := newStack(t, devstack.Config{})
	home := t.TempDir()
	env := scriptEnv(s.BackendURL)
	wantCode(t, clilogin(t, run{args: []string{"login"}, env: env, home: home}), 0)
	s.ForgetSessions()
	ageCachedToken(t, home, 0)
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = clilogin(t, run{args: []string{"token", "-v"}, env: env, home: home})
		}()
	}
	wg.Wait()
	replays := 0
	for _, r := range results {
		wantCode(t, r, 0)
		replays += strings.Count(r.stderr, "signed in again over HTTP")
		if strings.Contains(r.stderr, browserStarted) {
			t.Errorf("a browser started:\n%s", r.stderr)
		}
	}
	if replays != 1 {
		t.Errorf("%d replays, want 1:\n%s\n---\n%s", replays, results[0].stderr, results[1].stderr)
	}
	if results[0].stdout != results[1].stdout {
		t.Error("the two calls printed different tokens")
	}
}
