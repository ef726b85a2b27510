package e2e

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/devstack"
)

// unsignedJWT is a JWT with the given exp; the reference backend hands it
// out as it is.
func unsignedJWT(exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(fmt.Appendf(nil, `{"sub":"alice","exp":%d}`, exp.Unix())) + ".c2lnbmF0dXJl"
}

// A token whose exp has passed is not a valid token: after a browser login
// it is refused (exit 5: the backend answered what the contract does not
// allow), not printed.
func TestAnExpiredTokenIsRefused(t *testing.T) {
	need(t, "Chromium", browserPaths["shell"])
	expired := unsignedJWT(time.Now().Add(-time.Hour))
	s := faulty(t, on("/user/token", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, expired) }), nil)
	home := t.TempDir()
	args := append(loginArgs(s.BackendURL, filepath.Join(home, "profile"), "--whoami-path", ""), "--browser", browserPaths["shell"])
	args[0] = "token"
	r := clilogin(t, run{args: args, env: []string{"CLILOGIN_PASSWORD=" + password}, home: home})
	failed(t, r, 5, "answered a token that expired at", "", append(s.Secrets(), password, expired))
}

// Text from the backend reaches the terminal escaped: an identity with
// escape sequences and a token with control characters are refused (exit 5)
// with the answer shown escaped.
func TestBackendTextIsPrintedEscaped(t *testing.T) {
	need(t, "Chromium", browserPaths["shell"])
	const hostile = "\x1b]0;owned\x07alice\x1b[2J"
	t.Run("identity", func(t *testing.T) {
		s := faulty(t, on("/user/id", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, hostile) }), nil)
		home := t.TempDir()
		r := clilogin(t, run{args: loginArgs(s.BackendURL, filepath.Join(home, "profile"), "-v"), env: []string{"CLILOGIN_PASSWORD=" + password}, home: home})
		wantCode(t, r, 5)
		if strings.ContainsAny(r.stdout+r.stderr, "\x1b\x07") {
			t.Errorf("a control character reached the terminal: %q", r.stdout+r.stderr)
		}
		wantContains(t, "stderr", r.stderr, `\x1b]0;owned\aalice\x1b[2J`)
	})
	t.Run("token", func(t *testing.T) {
		bad := "eyJhbGciOi" + hostile + "Jub25lIn0"
		s := faulty(t, on("/user/token", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, bad) }), nil)
		home := t.TempDir()
		args := loginArgs(s.BackendURL, filepath.Join(home, "profile"), "--whoami-path", "")
		args[0] = "token"
		r := clilogin(t, run{args: args, env: []string{"CLILOGIN_PASSWORD=" + password}, home: home})
		failed(t, r, 5, "answered text that is not a token", "", append(s.Secrets(), password))
		if strings.ContainsAny(r.stdout+r.stderr, "\x1b\x07") {
			t.Errorf("a control character reached the terminal: %q", r.stdout+r.stderr)
		}
		files, _ := filepath.Glob(filepath.Join(home, ".cache", "clilogin", "*.json"))
		for _, f := range files {
			if b, _ := os.ReadFile(f); strings.Contains(string(b), "owned") {
				t.Errorf("the refused token was cached in %s", f)
			}
		}
	})
}

// A success page that shows the JWT, in its text, a script, a link and its
// own URL, leaves artifacts without it or any cookie value.
func TestArtifactsRedactTheTokenWhereverItShows(t *testing.T) {
	need(t, "Chromium", browserPaths["shell"])
	s := faulty(t, func(s **devstack.Stack) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/callback":
					rec := httptest.NewRecorder()
					next.ServeHTTP(rec, r)
					tok := httptest.NewRecorder()
					req := httptest.NewRequest(http.MethodGet, "/user/token", nil)
					for _, c := range r.Cookies() {
						req.AddCookie(c)
					}
					next.ServeHTTP(tok, req)
					http.Redirect(w, r, "/welcome/"+tok.Body.String(), http.StatusFound)
				case strings.HasPrefix(r.URL.Path, "/welcome/"):
					jwt := strings.TrimPrefix(r.URL.Path, "/welcome/")
					session, _ := r.Cookie("session")
					w.Header().Set("Content-Type", "text/html")
					fmt.Fprintf(w, `<!DOCTYPE html><title>Signed in %[1]s</title><h1>Welcome</h1><p>Your token: <code>%[1]s</code></p>
<p>Session: %[2]s</p><textarea>%[1]s</textarea><a href="/api/%[1]s">api</a><script>window.token = "%[1]s";</script>`, jwt, session.Value)
				default:
					next.ServeHTTP(w, r)
				}
			})
		}
	}, nil)
	// Its own browser, and a remote one, where the login has a browser
	// context of its own: the cookie values to mask are that context's.
	for _, remote := range []bool{false, true} {
		t.Run(map[bool]string{false: "own browser", true: "remote browser"}[remote], func(t *testing.T) {
			home, artifacts := t.TempDir(), filepath.Join(t.TempDir(), "artifacts")
			args := loginArgs(s.BackendURL, filepath.Join(home, "profile"), "--artifacts", artifacts, "--success", "css:#never", "--timeout", "6s")
			if remote {
				dir := t.TempDir()
				exited, _ := startChrome(t, dir, "--remote-debugging-port=0")
				args = []string{"login", "--backend", s.BackendURL, "--remote-browser", "http://127.0.0.1:" + devToolsPort(t, dir, exited),
					"--username", devstack.DemoUser.Email, "--artifacts", artifacts, "--success", "css:#never", "--timeout", "6s"}
			}
			before := len(s.Secrets())
			r := clilogin(t, run{args: args, env: []string{"CLILOGIN_PASSWORD=" + password}, home: home})
			secrets := append(s.Secrets(), password)
			if len(secrets) < before+3 {
				t.Fatalf("the backend handed out no session and token in this login: %d secrets before, %d after", before, len(secrets)-1)
			}
			failed(t, r, 3, "timed out waiting for the login to finish", artifacts, secrets)
			wantArtifacts(t, artifacts, "")
			html, _ := filepath.Glob(filepath.Join(artifacts, "*-page.html"))
			if len(html) == 1 {
				b, _ := os.ReadFile(html[0])
				wantContains(t, "page.html", string(b), "Your token: <code>REDACTED</code>")
				wantContains(t, "page.html", string(b), "Session: REDACTED")
			}
		})
	}
}
