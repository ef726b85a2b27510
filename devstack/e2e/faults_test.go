package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/clilogin/clilogin/devstack"
)

// failed checks a failed run: its exit code, one error line and one hint
// line on stderr (besides -v lines), nothing on stdout but a -o json
// object, and no secret anywhere in its output or artifacts.
func failed(t *testing.T, r result, code int, want string, artifacts string, secrets []string) {
	t.Helper()
	wantCode(t, r, code)
	var errLines, hintLines int
	for _, l := range strings.Split(r.stderr, "\n") {
		switch {
		case strings.HasPrefix(l, "clilogin: error: "):
			errLines++
		case strings.HasPrefix(l, "clilogin: hint: "):
			hintLines++
		}
	}
	if errLines != 1 || hintLines != 1 {
		t.Errorf("want one error line and one hint line, got %d and %d:\n%s", errLines, hintLines, r.stderr)
	}
	wantContains(t, "stderr", r.stderr, want)
	noSecrets(t, "stdout and stderr", r.stdout+r.stderr, secrets)
	if artifacts != "" {
		scanArtifacts(t, artifacts, secrets)
	}
	t.Logf("%s: exit %d after %s", t.Name(), r.code, r.took.Round(time.Millisecond))
}

func noSecrets(t *testing.T, where, s string, secrets []string) {
	t.Helper()
	for _, secret := range secrets {
		if len(secret) >= 6 && strings.Contains(s, secret) {
			t.Errorf("%s shows a secret (%.6s…)", where, secret)
		}
	}
}

// recovers checks that the cache and the profile of a failed run still
// serve the next run: a healthy login on the shared stack works.
func recovers(t *testing.T, home, profile string) {
	t.Helper()
	r := clilogin(t, run{args: loginArgs(stack.BackendURL, profile), env: []string{"CLILOGIN_PASSWORD=" + password}, home: home})
	if r.code != 0 {
		t.Errorf("the next run on the same profile and cache failed: %s", r)
	}
}

// faulty starts a stack with faults; the middleware may use the stack.
func faulty(t *testing.T, backend, idp func(s **devstack.Stack) func(http.Handler) http.Handler) *devstack.Stack {
	t.Helper()
	var s *devstack.Stack
	cfg := devstack.Config{}
	if backend != nil {
		cfg.BackendFault = backend(&s)
	}
	if idp != nil {
		cfg.IdPFault = idp(&s)
	}
	s = newStack(t, cfg)
	return s
}

// on answers path with h and passes everything else on.
func on(path string, h http.HandlerFunc) func(**devstack.Stack) func(http.Handler) http.Handler {
	return func(**devstack.Stack) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == path {
					h(w, r)
					return
				}
				next.ServeHTTP(w, r)
			})
		}
	}
}

func TestFaultMatrix(t *testing.T) {
	need(t, "Chromium", browserPaths["shell"])
	otherHost := newRecorder(t)
	tests := []struct {
		name     string
		backend  func(**devstack.Stack) func(http.Handler) http.Handler
		idp      func(**devstack.Stack) func(http.Handler) http.Handler
		setup    func(*devstack.Stack)
		password string
		args     []string
		code     int
		want     string
		// artifacts: "" for a failure in the browser (a screenshot, the
		// page and the URLs), "none" after it, "any" when either can be.
		artifacts string
	}{
		{name: "backend down before start", setup: func(s *devstack.Stack) { s.StopBackend() },
			code: 5, want: "clilogin: error: cannot reach the backend at 127.0.0.1:", artifacts: "any"},
		{name: "backend dies mid-login", idp: func(s **devstack.Stack) func(http.Handler) http.Handler {
			var once sync.Once
			return func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodPost { // the password is submitted: the backend dies
						once.Do(func() { (*s).StopBackend() })
					}
					next.ServeHTTP(w, r)
				})
			}
		}, code: 5, want: "cannot reach the backend at 127.0.0.1:"},
		{name: "IdP down", setup: func(s *devstack.Stack) { s.StopIdP() },
			code: 5, want: "cannot reach the identity provider at localhost:"},
		{name: "IdP answers 503", idp: on("/dex/auth", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		}), code: 5, want: "the identity provider answered 503"},
		{name: "callback answers 500", backend: on("/callback", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "code exchange failed", http.StatusInternalServerError)
		}), code: 5, want: "the backend's callback answered 500 Internal Server Error: code exchange failed"},
		{name: "IdP redirects back with error=access_denied", idp: func(s **devstack.Stack) func(http.Handler) http.Handler {
			return func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/dex/auth" {
						http.Redirect(w, r, (*s).BackendURL+"/callback?error=access_denied&error_description=denied+by+policy&state="+r.URL.Query().Get("state"), http.StatusFound)
						return
					}
					next.ServeHTTP(w, r)
				})
			}
		}, code: 4, want: "the identity provider refused the login: access_denied: denied by policy"},
		{name: "wrong password", password: "not-the-password", code: 4, want: "Invalid Email Address and password."},
		{name: "token path redirects to the login page", backend: on("/user/token", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/login", http.StatusFound)
		}), code: 4, want: "the backend redirected /user/token to", artifacts: "none"},
		{name: "token path answers an HTML page", backend: on("/user/token", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html><form action=/login><input name=user></form></html>")
		}), code: 5, want: "the backend answered an HTML page at /user/token", artifacts: "none"},
		{name: "token path answers an empty body", backend: on("/user/token", func(w http.ResponseWriter, r *http.Request) {}),
			code: 5, want: "answered an empty body", artifacts: "none"},
		{name: "whoami answers 401", backend: on("/user/id", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "token expired", http.StatusUnauthorized)
		}), code: 4, want: "the backend refused the token at /user/id: 401 Unauthorized: token expired", artifacts: "none"},
		{name: "whoami redirects to another host", backend: on("/user/id", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, otherHost.URL+"/user/id", http.StatusFound)
		}), code: 5, want: "the backend redirected /user/id to " + otherHost.URL, artifacts: "none"},
		{name: "marker never appears", args: []string{"--success", "css:#never", "--timeout", "15s"},
			code: 3, want: "last page: http://127.0.0.1:"},
	}
	// The cases run in parallel inside this group, which returns only when
	// all of them have ended: the other host's count is read after them.
	t.Run("cases", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				s := faulty(t, tt.backend, tt.idp)
				if tt.setup != nil {
					tt.setup(s)
				}
				// A directory clilogin creates (0700): an existing one it
				// leaves as it is.
				home, artifacts := t.TempDir(), filepath.Join(t.TempDir(), "artifacts")
				profile := filepath.Join(home, "profile")
				pw := password
				if tt.password != "" {
					pw = tt.password
				}
				r := clilogin(t, run{args: loginArgs(s.BackendURL, profile, append([]string{"-v", "--artifacts", artifacts}, tt.args...)...),
					env: []string{"CLILOGIN_PASSWORD=" + pw}, home: home})
				failed(t, r, tt.code, tt.want, artifacts, append(s.Secrets(), password))
				wantArtifacts(t, artifacts, tt.artifacts)
				if tt.code == 3 && !strings.Contains(r.stderr, "code=REDACTED&state=REDACTED") {
					t.Errorf("the last page is not redacted:\n%s", r.stderr)
				}
				recovers(t, home, profile)
			})
		}
	})
	if n := otherHost.count.Load(); n != 0 {
		t.Errorf("the other host got %d requests: a redirect was followed off the backend's origin", n)
	}
}

type recorder struct {
	*httptest.Server
	count atomic.Int32
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.count.Add(1)
		fmt.Fprint(w, "attacker@example.com")
	}))
	t.Cleanup(r.Close)
	return r
}

func TestUsageErrorsExit2WithAHint(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"login", "-b", "http://203.0.113.7:8080"}, "uses http:// on a host that is not loopback"},
		{[]string{"login", "-b", "api.example.com"}, "must start with https:// or http://"},
		{[]string{"login", "-b", "https://x.example", "--no-such-flag"}, "unknown flag: --no-such-flag"},
		{[]string{"login", "-b", "https://x.example", "--password", "hunter2-secret"}, "--password is refused"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
	} {
		r := clilogin(t, run{args: tt.args})
		failed(t, r, 2, tt.want, "", []string{"hunter2-secret"})
	}
	r := clilogin(t, run{args: []string{"login", "-b", stack.BackendURL, "--browser", "/nonexistent/chrome"}})
	failed(t, r, 6, `browser "/nonexistent/chrome" not found`, "", nil)
}

// proc is a clilogin run in the background whose stderr can be waited on.
type proc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer
	stdout bytes.Buffer
	done   chan struct{}
	start  time.Time
	err    error
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func startCLI(t *testing.T, r run) *proc {
	t.Helper()
	p := &proc{done: make(chan struct{})}
	p.cmd = exec.Command(cliBin, r.args...)
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + r.home, "TMPDIR=" + t.TempDir()}, r.env...)
	p.cmd.Stderr = lockedWriter{&p.mu, &p.stderr}
	p.cmd.Stdout = lockedWriter{&p.mu, &p.stdout}
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	return p
}

func (p *proc) waitFor(t *testing.T, s string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		p.mu.Lock()
		found := strings.Contains(p.stderr.String(), s)
		p.mu.Unlock()
		if found {
			return
		}
		select {
		case <-p.done:
			t.Fatalf("clilogin exited before %q:\n%s", s, p.stderr.String())
		default:
		}
	}
	t.Fatalf("no %q in 30s:\n%s", s, p.stderr.String())
}

// wait waits for the run to end and says how long it took after since.
// wait waits for clilogin to exit and logs how long it took after since
// (the signal, the crash): a reaction time, reported, not asserted; the
// exit code says whether the cause or the deadline ended the run.
func (p *proc) wait(t *testing.T, since time.Time) result {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("clilogin did not exit")
	}
	t.Logf("exited %s after the cause", time.Since(since).Round(time.Millisecond))
	r := result{stdout: p.stdout.String(), stderr: p.stderr.String(), took: time.Since(p.start)}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		r.code = ee.ExitCode()
	}
	return r
}

// browserPID returns the PID of the browser process (not a renderer) that
// uses profile.
func browserPID(t *testing.T, profile string) int {
	t.Helper()
	for _, line := range processesMentioning("--user-data-dir=" + profile) {
		pid, cmd, _ := strings.Cut(line, ": ")
		if !strings.Contains(cmd, "--type=") {
			n, _ := strconv.Atoi(pid)
			return n
		}
	}
	t.Fatalf("no browser process for %s", profile)
	return 0
}

// A signal during the wait closes the browser gracefully: exit 130, and
// the profile keeps the IdP session, so the next login needs no form.
func TestSignalsCloseTheBrowserGracefully(t *testing.T) {
	need(t, "Chromium", browserPaths["shell"])
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			profile := filepath.Join(home, "profile")
			p := startCLI(t, run{home: home, args: loginArgs(stack.BackendURL, profile, "-v", "--success", "css:#never"),
				env: []string{"CLILOGIN_PASSWORD=" + password}})
			p.waitFor(t, "/callback?code=REDACTED") // signed in at the IdP; waiting for a marker that never comes
			sent := time.Now()
			p.cmd.Process.Signal(sig)
			r := p.wait(t, sent)
			failedInterrupted(t, r)
			noBrowserLeft(t, profile, nil)
			warm := clilogin(t, run{home: home, args: []string{"login", "-b", stack.BackendURL, "--headless", "--profile", profile, "-v"}})
			wantCode(t, warm, 0)
			if strings.Contains(warm.stderr, "filled") {
				t.Errorf("the IdP session was lost:\n%s", warm.stderr)
			}
		})
	}
}

func failedInterrupted(t *testing.T, r result) {
	t.Helper()
	wantCode(t, r, 130)
	wantContains(t, "stderr", r.stderr, "clilogin: interrupted")
}

func TestBrowserCrashMidLoginExits6(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	home := t.TempDir()
	profile := filepath.Join(home, "profile")
	p := startCLI(t, run{home: home, args: loginArgs(stack.BackendURL, profile, "-v", "--success", "css:#never"),
		env: []string{"CLILOGIN_PASSWORD=" + password}})
	p.waitFor(t, "/callback?code=REDACTED")
	killed := time.Now()
	syscall.Kill(browserPID(t, profile), syscall.SIGKILL)
	r := p.wait(t, killed)
	failed(t, r, 6, "the browser exited before the login finished", "", append(stack.Secrets(), password))
	recovers(t, home, profile)
}

func TestProfileInUse(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["chromium"])
	home := t.TempDir()
	profile := filepath.Join(t.TempDir(), "profile") // outside home: a user may hold it elsewhere

	t.Run("by another clilogin", func(t *testing.T) {
		first := startCLI(t, run{home: t.TempDir(), args: loginArgs(stack.BackendURL, profile, "-v", "--success", "css:#never"),
			env: []string{"CLILOGIN_PASSWORD=" + password}})
		first.waitFor(t, "browser started")
		r := clilogin(t, run{home: home, args: loginArgs(stack.BackendURL, profile), env: []string{"CLILOGIN_PASSWORD=" + password}})
		failed(t, r, 6, fmt.Sprintf("is in use by another clilogin (pid %d)", first.cmd.Process.Pid), "", nil)
		first.cmd.Process.Signal(syscall.SIGTERM)
		first.wait(t, time.Now())
	})

	t.Run("by a running Chrome", func(t *testing.T) {
		chrome := exec.Command(browserPaths["chromium"], "--headless", "--no-sandbox", "--user-data-dir="+profile,
			"--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic", "about:blank")
		chrome.Stdout, chrome.Stderr = io.Discard, io.Discard
		if err := chrome.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if _, err := os.Lstat(filepath.Join(profile, "SingletonLock")); err == nil {
				break
			}
		}
		r := clilogin(t, run{home: home, args: loginArgs(stack.BackendURL, profile), env: []string{"CLILOGIN_PASSWORD=" + password}})
		chrome.Process.Signal(syscall.SIGTERM)
		chrome.Wait()
		failed(t, r, 6, fmt.Sprintf("is in use by a running Chrome (pid %d)", chrome.Process.Pid), "", nil)
	})

	t.Run("stale locks of a killed run are taken over", func(t *testing.T) {
		host, _ := os.Hostname()
		os.Remove(filepath.Join(profile, "SingletonLock"))
		if err := os.Symlink(host+"-999999", filepath.Join(profile, "SingletonLock")); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(profile, "clilogin.lock"), []byte("999999\n"), 0o600)
		r := clilogin(t, run{home: home, args: loginArgs(stack.BackendURL, profile), env: []string{"CLILOGIN_PASSWORD=" + password}})
		wantCode(t, r, 0)
	})
}

// The person closes the app window before signing in.
func TestClosedWindowExits6(t *testing.T) {
	need(t, "Chromium", browserPaths["chromium"])
	display := startXvfb(t)
	home := t.TempDir()
	profile := filepath.Join(home, "profile")
	p := startCLI(t, run{home: home, args: []string{"login", "-b", stack.BackendURL, "--profile", profile, "--timeout", "30s", "-v",
		"--browser-arg=--remote-debugging-port=0"}, env: []string{"DISPLAY=" + display}})
	port := devToolsPort(t, profile, p.done)
	p.waitFor(t, "/dex/auth/local/login") // the sign-in page shows; the person closes the window
	resp, err := http.Get("http://127.0.0.1:" + port + "/json/list")
	if err != nil {
		t.Fatal(err)
	}
	var list bytes.Buffer
	list.ReadFrom(resp.Body)
	resp.Body.Close()
	id := between(list.String(), `"id": "`, `"`)
	closed := time.Now()
	if resp, err := http.Get("http://127.0.0.1:" + port + "/json/close/" + id); err == nil {
		resp.Body.Close()
	}
	r := p.wait(t, closed)
	failed(t, r, 6, "the browser window was closed before the login finished", "", nil)
}

func between(s, from, to string) string {
	_, rest, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(rest, to)
	return v
}

func TestCacheFaults(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	env := scriptEnv(stack.BackendURL)

	t.Run("corrupted cache file", func(t *testing.T) {
		home := t.TempDir()
		wantCode(t, clilogin(t, run{args: []string{"token"}, env: env, home: home}), 0)
		files, _ := filepath.Glob(filepath.Join(home, ".cache", "clilogin", "*.json"))
		if len(files) != 1 {
			t.Fatalf("cache files: %v", files)
		}
		os.WriteFile(files[0], []byte(`{"version":1,"token":"eyJ`), 0o600)
		r := clilogin(t, run{args: []string{"token"}, env: env, home: home})
		wantCode(t, r, 0)
		if n := strings.Count(r.stderr, "clilogin: warning: ignoring the cached login"); n != 1 {
			t.Errorf("%d warnings about the cache, want 1:\n%s", n, r.stderr)
		}
		again := clilogin(t, run{args: []string{"token", "-v"}, env: env, home: home})
		wantContains(t, "-v log", again.stderr, "token from the cache") // rewritten and good again
	})

	t.Run("unwritable cache directory", func(t *testing.T) {
		home := t.TempDir()
		os.MkdirAll(filepath.Join(home, ".cache"), 0o700)
		os.WriteFile(filepath.Join(home, ".cache", "clilogin"), []byte("not a directory"), 0o600)
		r := clilogin(t, run{args: []string{"login", "-v"}, env: env, home: home})
		wantCode(t, r, 0)
		wantContains(t, "stdout", r.stdout, "as alice@example.com")
		wantContains(t, "stderr", r.stderr, "clilogin: warning: the login was not cached")
		tok := clilogin(t, run{args: []string{"token"}, env: env, home: home})
		wantCode(t, tok, 0) // works, with a browser login each time
	})
}
