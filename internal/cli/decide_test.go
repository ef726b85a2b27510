package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/browser"
	"github.com/clilogin/clilogin/internal/cache"
	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/replay"
)

// decideBackend is a backend whose tokens live ttl from the fake clock; it
// accepts one session cookie: session=good until it forgets it.
type decideBackend struct {
	srv      *httptest.Server
	valid    atomic.Value // the session it accepts
	ttl      time.Duration
	now      func() time.Time
	identity string
	tokens   atomic.Int32 // /user/token answers
	whoamis  atomic.Int32
	stall    atomic.Bool // /user/token answers nothing until the request ends
}

func newDecideBackend(t *testing.T, now func() time.Time, ttl time.Duration) *decideBackend {
	b := &decideBackend{ttl: ttl, now: now, identity: "alice@example.com"}
	b.valid.Store("good")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /user/token", func(w http.ResponseWriter, r *http.Request) {
		if b.stall.Load() {
			<-r.Context().Done()
			return
		}
		if c, err := r.Cookie("session"); err != nil || c.Value != b.valid.Load().(string) {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		n := b.tokens.Add(1)
		fmt.Fprint(w, testJWT(b.now().Add(b.ttl).Add(time.Duration(n)*time.Second)))
	})
	mux.HandleFunc("GET /user/id", func(w http.ResponseWriter, r *http.Request) {
		b.whoamis.Add(1)
		fmt.Fprint(w, b.identity)
	})
	b.srv = httptest.NewServer(mux)
	t.Cleanup(b.srv.Close)
	return b
}

// fakeBrowser stands in for the browser login: it answers the cookie it is
// given, and counts its logins.
type fakeBrowser struct {
	session string // the cookie value a login leaves; "" fails the login
	logins  atomic.Int32
}

func (f *fakeBrowser) login(_ context.Context, c browser.Config) (*browser.Result, error) {
	f.logins.Add(1)
	if f.session == "" {
		return nil, failure.New(failure.Refused, "check the password", "the identity provider refused the sign-in: wrong password")
	}
	return &browser.Result{Cookies: []cookies.Cookie{{Name: "session", Value: f.session, Domain: c.Backend.Hostname(), HostOnly: true, Path: "/"}}}, nil
}

// decideApp is an app for the command of args against the backend, with
// the fake browser and clock: the command's deadline is on that clock too.
// token, whoami and login are run with -o json, so that runDecided can
// tell the source.
func decideApp(t *testing.T, cacheDir string, b *decideBackend, fb *fakeBrowser, now func() time.Time, args ...string) *app {
	t.Helper()
	args = append(args, "-b", b.srv.URL, "--profile", filepath.Join(cacheDir, "profile"), "--timeout", "10s")
	if slices.Contains([]string{"token", "whoami", "login"}, args[0]) {
		args = append(args, "-o", "json")
	}
	o, err := parseOptions(args, envOf(map[string]string{"HOME": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	a, err := newApp(commandNamed(o.Command), o, envOf(map[string]string{"XDG_CACHE_HOME": cacheDir, "HOME": t.TempDir()}), IO{Out: &bytes.Buffer{}, Err: &errb})
	if err != nil {
		t.Fatal(err)
	}
	a.now, a.deadline, a.browserLogin = now, now().Add(a.o.Timeout), fb.login
	return a
}

// runDecided runs a's command as Run does, through the command's own path
// (which decides whether the cache may serve), and returns the source its
// -o json names ("" for cookies, which has none).
func runDecided(ctx context.Context, a *app) (source, error) {
	if err := commandNamed(a.o.Command).run(ctx, a); err != nil {
		return "", err
	}
	if a.o.Output != "json" {
		return "", nil
	}
	var out struct {
		Source source `json:"source"`
	}
	if err := json.Unmarshal(a.stdio.Out.(*bytes.Buffer).Bytes(), &out); err != nil {
		return "", fmt.Errorf("-o json: %w", err)
	}
	return out.Source, nil
}

func TestLoginDecision(t *testing.T) {
	t0 := time.Now() // the fake clock starts now: the deadlines are on it
	type step struct {
		args        []string
		advance     time.Duration // the clock moves on before the command
		session     string        // what a browser login leaves ("" fails it)
		forget      bool          // the backend forgets its sessions first: only the next login's is good
		wantSource  source
		wantLogins  int32 // browser logins so far
		wantTokens  int32 // token-path answers so far
		wantErrKind failure.Kind
		wantErr     string
	}
	tests := []struct {
		name  string
		ttl   time.Duration
		steps []step
	}{
		{"nothing cached: the browser, then the cache", time.Hour, []step{
			{args: []string{"token"}, session: "good", wantSource: fromBrowser, wantLogins: 1, wantTokens: 1},
			{args: []string{"token"}, wantSource: fromCache, wantLogins: 1, wantTokens: 1},
			{args: []string{"whoami"}, wantSource: fromCache, wantLogins: 1, wantTokens: 1},
		}},
		{"token within --min-ttl of its expiry: renewed through the cookies, no browser", time.Hour, []step{
			{args: []string{"token"}, session: "good", wantSource: fromBrowser, wantLogins: 1, wantTokens: 1},
			{args: []string{"token"}, advance: 59*time.Minute + 30*time.Second, wantSource: fromCookies, wantLogins: 1, wantTokens: 2},
			{args: []string{"token", "--min-ttl", "30m"}, advance: 31 * time.Minute, wantSource: fromCookies, wantLogins: 1, wantTokens: 3},
		}},
		{"cookies no longer accepted: the browser", time.Hour, []step{
			{args: []string{"token"}, session: "good", wantSource: fromBrowser, wantLogins: 1, wantTokens: 1},
			{args: []string{"token"}, advance: 2 * time.Hour, session: "new", forget: true, wantSource: fromBrowser, wantLogins: 2, wantTokens: 2},
			{args: []string{"token"}, wantSource: fromCache, wantLogins: 2, wantTokens: 2},
		}},
		{"--force and login skip the cache and the cookies", time.Hour, []step{
			{args: []string{"token"}, session: "good", wantSource: fromBrowser, wantLogins: 1, wantTokens: 1},
			{args: []string{"token", "--force"}, session: "good", wantSource: fromBrowser, wantLogins: 2, wantTokens: 2},
			{args: []string{"login"}, session: "good", wantSource: fromBrowser, wantLogins: 3, wantTokens: 3},
			{args: []string{"cookies", "--force"}, session: "good", wantSource: fromBrowser, wantLogins: 4, wantTokens: 4},
		}},
		{"a backend whose tokens are shorter than --min-ttl: a clear error, not a loop", 30 * time.Second, []step{
			{args: []string{"token"}, session: "good", wantLogins: 1, wantTokens: 1, wantErrKind: failure.Refused, wantErr: "sooner than --min-ttl 1m0s"},
			{args: []string{"token", "--min-ttl", "10s"}, session: "good", wantSource: fromBrowser, wantLogins: 2, wantTokens: 2},
			{args: []string{"token", "--min-ttl", "20s"}, advance: 15 * time.Second, wantSource: fromCookies, wantLogins: 2, wantTokens: 3},
		}},
		{"a failed browser login caches nothing", time.Hour, []step{
			{args: []string{"token"}, session: "", wantLogins: 1, wantTokens: 0, wantErrKind: failure.Refused, wantErr: "wrong password"},
			{args: []string{"token"}, session: "good", wantSource: fromBrowser, wantLogins: 2, wantTokens: 1},
		}},
		{"a browser login whose session the backend refuses", time.Hour, []step{
			{args: []string{"login"}, session: "bad", wantLogins: 1, wantTokens: 0, wantErrKind: failure.Refused, wantErr: "refused the session cookies"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := t0
			clock := func() time.Time { return now }
			b := newDecideBackend(t, clock, tt.ttl)
			fb := &fakeBrowser{}
			dir := t.TempDir()
			for i, s := range tt.steps {
				now = now.Add(s.advance)
				fb.session = s.session
				if s.forget {
					b.valid.Store(s.session)
				}
				a := decideApp(t, dir, b, fb, clock, s.args...)
				src, err := runDecided(context.Background(), a)
				switch {
				case s.wantErr != "" && err == nil:
					t.Fatalf("step %d %v: no error, want %q", i, s.args, s.wantErr)
				case s.wantErr != "" && (!strings.Contains(err.Error(), s.wantErr) || failure.KindOf(err) != s.wantErrKind):
					t.Fatalf("step %d %v: error %q (%v), want %q (%v)", i, s.args, err, failure.KindOf(err), s.wantErr, s.wantErrKind)
				case s.wantErr == "" && err != nil:
					t.Fatalf("step %d %v: %v", i, s.args, err)
				case s.wantErr == "" && a.o.Command != "cookies" && src != s.wantSource: // cookies says no source
					t.Errorf("step %d %v: served from %s, want %s", i, s.args, src, s.wantSource)
				}
				if got := fb.logins.Load(); got != s.wantLogins {
					t.Errorf("step %d %v: %d browser logins, want %d", i, s.args, got, s.wantLogins)
				}
				if got := b.tokens.Load(); got != s.wantTokens {
					t.Errorf("step %d %v: %d token-path answers, want %d", i, s.args, got, s.wantTokens)
				}
			}
		})
	}
}

// login runs the browser login whatever is cached, and takes the cache
// lock like the other commands: beside a login that holds it, it waits
// instead of starting a second browser on the same profile.
func TestLoginWaitsForTheCacheLock(t *testing.T) {
	now := time.Now
	b := newDecideBackend(t, now, time.Hour)
	fb := &fakeBrowser{session: "good"}
	dir := t.TempDir()
	a := decideApp(t, dir, b, fb, now, "login")
	a.deadline = time.Now().Add(300 * time.Millisecond)
	unlock, err := a.store.Lock(context.Background(), backend.MustParse(b.srv.URL).CacheName())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	_, _, err = a.obtain(context.Background(), true)
	if failure.KindOf(err) != failure.Timeout || !strings.Contains(fmt.Sprint(err), "another clilogin is signing in") && !strings.Contains(fmt.Sprint(err), "another clilogin's login") {
		t.Fatalf("login beside a held lock: %v (%v), want a timeout waiting for the other login", err, failure.KindOf(err))
	}
	if fb.logins.Load() != 0 {
		t.Error("login started a browser while another login held the lock")
	}
}

// The identity is asked after every way of getting a token, and
// --expect-identity is checked on each.
func TestTokenStepChecksTheIdentityOnEveryPath(t *testing.T) {
	t0 := time.Now() // the fake clock starts now: the deadlines are on it
	now := t0
	clock := func() time.Time { return now }
	b := newDecideBackend(t, clock, time.Hour)
	fb := &fakeBrowser{session: "good"}
	dir := t.TempDir()
	a := decideApp(t, dir, b, fb, clock, "token", "--expect-identity", "alice@example.com")
	if _, _, err := a.obtain(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if b.whoamis.Load() != 1 {
		t.Errorf("whoami asked %d times after the browser login, want 1", b.whoamis.Load())
	}
	b.identity = "mallory@example.com"
	now = now.Add(2 * time.Hour) // the token has expired; the cookies still work
	a = decideApp(t, dir, b, fb, clock, "token", "--expect-identity", "alice@example.com")
	_, _, err := a.obtain(context.Background(), false)
	// The cookies' identity is refused, so the browser runs, and its
	// identity is refused too.
	if failure.KindOf(err) != failure.Refused || !strings.Contains(fmt.Sprint(err), `logged in as "mallory@example.com"`) {
		t.Fatalf("err = %v, want the identity refused", err)
	}
	if fb.logins.Load() != 2 {
		t.Errorf("%d browser logins, want 2", fb.logins.Load())
	}
}

// Cached cookies whose token request is cut off by the command's deadline
// end the command with a timeout: no time is left for a browser.
func TestCookiesCutOffByTheDeadlineEndTheCommand(t *testing.T) {
	now := time.Now
	b := newDecideBackend(t, now, time.Hour)
	fb := &fakeBrowser{session: "good"}
	dir := t.TempDir()
	a := decideApp(t, dir, b, fb, now, "token")
	a.save(cache.Entry{Cookies: []cookies.Cookie{{Name: "session", Value: "good", Domain: "127.0.0.1", HostOnly: true, Path: "/"}}})
	b.stall.Store(true)
	a.deadline = a.now().Add(300 * time.Millisecond)
	_, err := runDecided(context.Background(), a)
	if failure.KindOf(err) != failure.Timeout {
		t.Fatalf("err = %v (kind %v), want a timeout", err, failure.KindOf(err))
	}
	if fb.logins.Load() != 0 {
		t.Error("a browser was started after the deadline")
	}
}

// fakeReplay stands in for the HTTP replay of the IdP's session.
type fakeReplay struct {
	err     error // nil: the replay lands with session=<session>
	session string
	calls   atomic.Int32
}

func (f *fakeReplay) run(_ context.Context, c replay.Config) (replay.Result, error) {
	f.calls.Add(1)
	if f.err != nil {
		return replay.Result{}, f.err
	}
	return replay.Result{
		Backend:    []cookies.Cookie{{Name: "session", Value: f.session, Domain: c.Backend.Hostname(), HostOnly: true, Path: "/"}},
		IdPSession: []cookies.Cookie{{Name: "idp", Value: "refreshed", Domain: "idp.example", HostOnly: true, Path: "/"}},
	}, nil
}

func TestLoginDecisionReplaysTheIdPSession(t *testing.T) {
	for _, tt := range []struct {
		name       string
		args       []string
		replayErr  error
		wantSource source
		wantErr    string
		wantReplay int32
		wantLogins int32 // after the first, browser, login
	}{
		{"the backend's session is gone: replay, no browser", []string{"token"}, nil, fromReplay, "", 1, 1},
		{"login replays too", []string{"login"}, nil, fromReplay, "", 1, 1},
		{"the replay stops at a form: the browser", []string{"token"}, fmt.Errorf("%w: a sign-in form", replay.ErrFallback), fromBrowser, "", 1, 2},
		{"--no-replay: the browser", []string{"token", "--no-replay"}, nil, fromBrowser, "", 0, 2},
		{"the callback fails: a clear error, no browser", []string{"token"},
			failure.New(failure.Unreachable, "", "the backend's callback answered 500 Internal Server Error"), "", "callback answered 500", 1, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Now
			b := newDecideBackend(t, now, time.Hour)
			fb := &fakeBrowser{session: "good"}
			dir := t.TempDir()
			a := decideApp(t, dir, b, fb, now, "login")
			if _, _, err := a.obtain(context.Background(), true); err != nil {
				t.Fatal(err)
			}
			b.valid.Store("replayed") // the backend forgot the browser's session
			fr := &fakeReplay{err: tt.replayErr, session: "replayed"}
			fb.session = "replayed"
			a = decideApp(t, dir, b, fb, now, tt.args...)
			a.replayLogin = fr.run
			// The first login left no IdP session with the fake browser:
			// store one, as a real browser login does.
			e := a.load()
			e.IdPSession = []cookies.Cookie{{Name: "idp", Value: "alive", Domain: "idp.example", HostOnly: true, Path: "/"}}
			e.Token = "" // and the token is gone
			a.save(e)

			got, src, err := a.obtain(context.Background(), a.o.Command == "login")
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case src != tt.wantSource:
				t.Errorf("served from %s, want %s", src, tt.wantSource)
			case src == fromReplay && (len(got.IdPSession) != 1 || got.IdPSession[0].Value != "refreshed"):
				t.Errorf("the refreshed IdP session was not kept: %+v", got.IdPSession)
			}
			if fr.calls.Load() != tt.wantReplay {
				t.Errorf("%d replays, want %d", fr.calls.Load(), tt.wantReplay)
			}
			if fb.logins.Load() != tt.wantLogins {
				t.Errorf("%d browser logins, want %d", fb.logins.Load(), tt.wantLogins)
			}
		})
	}
}

// A replay that the deadline cuts off is a timeout (exit 3), not an
// internal error, and no browser is started after it.
func TestReplayCutOffByTheDeadlineIsATimeout(t *testing.T) {
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer stuck.Close()
	now := time.Now
	b := newDecideBackend(t, now, time.Hour)
	fb := &fakeBrowser{session: "good"}
	dir := t.TempDir()
	a := decideApp(t, dir, b, fb, now, "login")
	a.o.Backend = backend.MustParse(stuck.URL) // the login path never answers
	a.name = a.o.Backend.CacheName()
	a.save(cache.Entry{IdPSession: []cookies.Cookie{{Name: "idp", Value: "alive", Domain: "127.0.0.1", HostOnly: true, Path: "/"}}})
	a.deadline = time.Now().Add(200 * time.Millisecond)
	_, _, err := a.obtain(context.Background(), true)
	if failure.KindOf(err) != failure.Timeout {
		t.Fatalf("err = %v (kind %v), want a timeout", err, failure.KindOf(err))
	}
	if fb.logins.Load() != 0 {
		t.Error("a browser was started after the deadline")
	}
}

// commandNamed is the table's entry for name; the zero command if none.
func commandNamed(name string) command {
	for _, c := range commandTable {
		if c.name == name {
			return c
		}
	}
	return command{}
}
