package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

// usersBackend is a backend of many users: a session cookie s-USER is
// USER's, its tokens carry USER as their email, and its whoami path says
// whose token it is.
type usersBackend struct {
	srv *httptest.Server
}

func userJWT(user string, exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		enc(fmt.Appendf(nil, `{"email":%q,"exp":%d}`, user, exp.Unix())) + ".c2ln"
}

func jwtUser(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct{ Email string }
	_ = json.Unmarshal(b, &c)
	return c.Email
}

func newUsersBackend(t *testing.T) *usersBackend {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /user/token", func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("session")
		if err != nil || !strings.HasPrefix(c.Value, "s-") {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, userJWT(strings.TrimPrefix(c.Value, "s-"), time.Now().Add(time.Hour)))
	})
	mux.HandleFunc("GET /user/id", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, jwtUser(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")))
	})
	b := &usersBackend{srv: httptest.NewServer(mux)}
	t.Cleanup(b.srv.Close)
	return b
}

// fakeIdP stands in for the browser and the IdP: each profile keeps the
// user signed in at the IdP, which signs the next login in silently; with
// none, the form is filled as Config.Username. sticky makes the IdP sign
// the profile's user in even after its cookies are cleared (as a client
// certificate would).
type fakeIdP struct {
	mu       sync.Mutex
	profiles map[string]string // profile dir -> the user signed in at the IdP
	sticky   bool
	logins   atomic.Int32
	replays  atomic.Int32
	cleared  atomic.Int32
	restored []cookies.Cookie // the IdP session the last login was given
	running  atomic.Int32     // logins running now
	most     atomic.Int32     // most logins running at once
	gate     chan struct{}    // when set, each login waits for it…
	started  chan struct{}    // …after saying so here
}

func (f *fakeIdP) login(_ context.Context, c browser.Config) (*browser.Result, error) {
	f.logins.Add(1)
	if n := f.running.Add(1); n > f.most.Load() {
		f.most.Store(n)
	}
	defer f.running.Add(-1)
	if f.gate != nil {
		f.started <- struct{}{}
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.profiles == nil {
		f.profiles = map[string]string{}
	}
	if c.ClearCookies {
		f.cleared.Add(1)
		if !f.sticky {
			f.profiles[c.Profile] = ""
		}
	}
	f.restored = c.IdPSession
	for _, s := range c.IdPSession {
		if s.Name == "idp" {
			f.profiles[c.Profile] = s.Value
		}
	}
	user, filled := f.profiles[c.Profile], false
	if user == "" {
		if c.Username == "" {
			return nil, failure.New(failure.Refused, "", "nobody to sign in")
		}
		user, filled = c.Username, true
	}
	f.profiles[c.Profile] = user
	return &browser.Result{
		Cookies:      []cookies.Cookie{{Name: "session", Value: "s-" + user, Domain: c.Backend.Hostname(), HostOnly: true, Path: "/"}},
		IdPSession:   []cookies.Cookie{{Name: "idp", Value: user, Domain: "idp.example", HostOnly: true, Path: "/"}},
		FilledSignIn: filled,
	}, nil
}

func (f *fakeIdP) replay(_ context.Context, c replay.Config) (replay.Result, error) {
	f.replays.Add(1)
	for _, s := range c.IdPSession {
		if s.Name == "idp" {
			return replay.Result{Backend: []cookies.Cookie{{Name: "session", Value: "s-" + s.Value, Domain: c.Backend.Hostname(), HostOnly: true, Path: "/"}},
				IdPSession: c.IdPSession}, nil
		}
	}
	return replay.Result{}, fmt.Errorf("%w: no session", replay.ErrFallback)
}

// runFake runs a command line as Run does, with the fake IdP for the
// browser and the replay.
func runFake(t *testing.T, env map[string]string, f *fakeIdP, args ...string) cliRun {
	t.Helper()
	var out, errb bytes.Buffer
	stdio := IO{Out: &out, Err: &errb}
	if commandNamed(args[0]).has(browserFlags) {
		args = append(args, "--timeout", "10s")
	}
	o, err := parseOptions(args, envOf(env))
	code := 0
	if err == nil {
		var a *app
		if a, err = newApp(commandNamed(o.Command), o, envOf(env), stdio); err == nil {
			a.browserLogin, a.replayLogin = f.login, f.replay
			err = commandNamed(o.Command).run(context.Background(), a)
		}
	}
	code = report(err, o, stdio, nil)
	return cliRun{code: code, stdout: out.String(), stderr: errb.String()}
}

// Each account of a backend keeps its own login: -u bob after alice signs
// bob in, and every command afterwards gets each their own token.
func TestAccountsKeepTheirOwnLogin(t *testing.T) {
	b := newUsersBackend(t)
	env := cliEnv(t.TempDir())
	f := &fakeIdP{}
	run := func(args ...string) cliRun {
		t.Helper()
		return runFake(t, env, f, append(args, "-b", b.srv.URL, "--headless")...)
	}
	if r := run("login", "-u", "alice"); r.code != 0 || !strings.Contains(r.stdout, "as alice") {
		t.Fatalf("login -u alice: %+v", r)
	}
	r := run("token", "-u", "bob")
	if r.code != 0 || jwtUser(strings.TrimSpace(r.stdout)) != "bob" {
		t.Fatalf("token -u bob after alice: %+v (token of %q)", r, jwtUser(strings.TrimSpace(r.stdout)))
	}
	if r := run("whoami", "-u", "alice"); strings.TrimSpace(r.stdout) != "alice" {
		t.Errorf("whoami -u alice: %+v", r)
	}
	if r := run("whoami", "--account", "bob", "-o", "json"); !strings.Contains(r.stdout, `"account":"bob"`) || !strings.Contains(r.stdout, `"identity":"bob"`) {
		t.Errorf("whoami --account bob -o json: %+v", r)
	}
	// The replay and the browser: each account's own IdP session.
	for _, extra := range [][]string{nil, {"--no-replay"}} {
		for _, u := range []string{"alice", "bob"} {
			r := run(append([]string{"login", "-u", u, "-o", "json"}, extra...)...)
			if r.code != 0 || !strings.Contains(r.stdout, `"identity":"`+u+`"`) {
				t.Errorf("login -u %s %v: %+v", u, extra, r)
			}
		}
	}
	if f.replays.Load() != 2 {
		t.Errorf("%d replays, want 2 (one per account)", f.replays.Load())
	}

	// Two accounts and none named: exit 2, listing them.
	r = run("token")
	if r.code != ExitUsage || !strings.Contains(r.stderr, `"alice", "bob"`) || r.stdout != "" {
		t.Errorf("token naming no account: %+v", r)
	}
	st := runFake(t, env, f, "status", "-o", "json")
	for _, u := range []string{`"account":"alice"`, `"account":"bob"`} {
		if !strings.Contains(st.stdout, u) {
			t.Errorf("status -o json lacks %s: %s", u, st.stdout)
		}
	}
	if got := completeAccounts(newRoot(envOf(env), IO{}, nil, nil).Flags(), envOf(env)); strings.Join(got, ",") != "alice,bob" {
		t.Errorf("completion offers %q", got)
	}
	if r := runFake(t, env, f, "logout", "-b", b.srv.URL, "--account", "alice"); r.code != 0 {
		t.Fatalf("logout --account alice: %+v", r)
	}
	// One account left: commands naming none use it.
	if r := run("whoami"); strings.TrimSpace(r.stdout) != "bob" {
		t.Errorf("whoami with bob alone: %+v", r)
	}
	if r := runFake(t, env, f, "logout", "-b", b.srv.URL, "--all"); r.code != 0 {
		t.Fatalf("logout --all: %+v", r)
	}
	if files, _ := filepath.Glob(filepath.Join(env["XDG_CACHE_HOME"], "clilogin", "*.json")); len(files) != 0 {
		t.Errorf("logout --all left %q", files)
	}
}

// The identity asked for is the identity got: an account whose IdP
// session is another user's is not replayed, and the browser login starts
// with the cookies cleared, so the form is filled as asked; an IdP that
// still signs the other user in is exit 4 naming both, and nothing is
// cached.
func TestUsernameOtherThanTheAccountsSession(t *testing.T) {
	for _, tt := range []struct {
		name   string
		extra  []string
		sticky bool
		want   int
	}{
		{"replay path", nil, false, ExitOK},
		{"browser path", []string{"--no-replay"}, false, ExitOK},
		{"an IdP that signs the other user in anyway", nil, true, ExitRefused},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newUsersBackend(t)
			env := cliEnv(t.TempDir())
			f := &fakeIdP{sticky: tt.sticky}
			run := func(args ...string) cliRun {
				return runFake(t, env, f, append(args, "-b", b.srv.URL, "--headless", "--account", "shared")...)
			}
			if r := run("login", "-u", "alice"); r.code != 0 {
				t.Fatal(r)
			}
			r := run(append([]string{"login", "-u", "bob"}, tt.extra...)...)
			if r.code != tt.want {
				t.Fatalf("exit %d, want %d: %+v", r.code, tt.want, r)
			}
			if f.replays.Load() != 0 {
				t.Errorf("alice's IdP session was replayed for bob")
			}
			// Cleared for alice's first login (nothing recorded), then for bob.
			if f.cleared.Load() != 2 {
				t.Errorf("the cookies were cleared %d times, want 2", f.cleared.Load())
			}
			tok := run("token")
			switch tt.want {
			case ExitOK:
				if !strings.Contains(r.stdout, "as bob") || jwtUser(strings.TrimSpace(tok.stdout)) != "bob" {
					t.Errorf("login: %+v; token of %q", r, jwtUser(strings.TrimSpace(tok.stdout)))
				}
			default:
				if !strings.Contains(r.stderr, `"bob"`) || !strings.Contains(r.stderr, `"alice"`) {
					t.Errorf("the error does not name both: %s", r.stderr)
				}
				// alice's entry stays alice's; bob got nothing.
				if r := run("token", "-u", "alice"); jwtUser(strings.TrimSpace(r.stdout)) != "alice" {
					t.Errorf("alice's entry was changed: %+v", r)
				}
			}
		})
	}
}

// An entry written before accounts (no account or username in it, at the
// backend's name) is the default account's: read as before, no login.
func TestEntryFromBeforeAccountsIsTheDefaultAccount(t *testing.T) {
	b := newUsersBackend(t)
	env := cliEnv(t.TempDir())
	bk := backend.MustParse(b.srv.URL)
	dir := filepath.Join(env["XDG_CACHE_HOME"], "clilogin")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// As clilogin before accounts wrote it.
	old := fmt.Sprintf(`{"version":1,"backend":%q,"identity":"alice","token":%q,"token_expires_at":%q,"saved_at":%q}`,
		b.srv.URL, userJWT("alice", time.Now().Add(time.Hour)), time.Now().Add(time.Hour).UTC().Format(time.RFC3339), time.Now().UTC().Format(time.RFC3339))
	if err := os.WriteFile(filepath.Join(dir, bk.CacheName()+".json"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	f := &fakeIdP{}
	for _, args := range [][]string{{"token", "-o", "json"}, {"token", "--account", "default", "-o", "json"}} {
		r := runFake(t, env, f, append(args, "-b", b.srv.URL, "--headless")...)
		if r.code != 0 || !strings.Contains(r.stdout, `"source":"cache"`) || !strings.Contains(r.stdout, `"account":"default"`) {
			t.Errorf("%v: %+v", args, r)
		}
	}
	if f.logins.Load() != 0 {
		t.Errorf("%d logins for a cached entry", f.logins.Load())
	}
	st := runFake(t, env, f, "status")
	if !strings.Contains(st.stdout, "ACCOUNT") || !strings.Contains(st.stdout, " default ") {
		t.Errorf("status: %s", st.stdout)
	}
	var e cache.Entry
	if e, _ = (cache.Store{Dir: dir}).Load(bk.CacheName()); e.Account != "" {
		t.Errorf("reading rewrote the entry: %+v", e)
	}

	// Its recorded user's account, named by -u, takes it over, without a
	// login; then it is that account's alone.
	r := runFake(t, env, f, "token", "-b", b.srv.URL, "--headless", "-u", "alice", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"source":"cache"`) || !strings.Contains(r.stdout, `"account":"alice"`) {
		t.Errorf("token -u alice: %+v", r)
	}
	if _, err := (cache.Store{Dir: dir}).Load(bk.CacheName()); err != cache.ErrNotFound {
		t.Errorf("the old entry is still the default account's: %v", err)
	}
	if r := runFake(t, env, f, "token", "-b", b.srv.URL, "--headless", "-u", "bob"); r.code != 0 || jwtUser(strings.TrimSpace(r.stdout)) != "bob" {
		t.Errorf("token -u bob: %+v", r)
	}
	if f.logins.Load() != 1 {
		t.Errorf("%d logins, want bob's alone", f.logins.Load())
	}
}

// Account names: any text a person types, e-mail addresses included, each
// its own entry; names that cannot be kept faithfully are exit 2.
func TestAccountNames(t *testing.T) {
	b := newUsersBackend(t)
	env := cliEnv(t.TempDir())
	f := &fakeIdP{}
	for _, bad := range [][]string{{"--account", "a\nb"}, {"--account", " x"}, {"-u", "bob\x1b[31m"}} {
		r := runFake(t, env, f, append([]string{"token", "-b", b.srv.URL, "--headless"}, bad...)...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, "account") {
			t.Errorf("%q: %+v", bad, r)
		}
	}
	for _, u := range []string{"alice@example.test", "alice_example.test", "Alice@example.test"} {
		r := runFake(t, env, f, "login", "-b", b.srv.URL, "--headless", "-u", u)
		if r.code != 0 {
			t.Fatalf("login -u %s: %+v", u, r)
		}
	}
	files, _ := filepath.Glob(filepath.Join(env["XDG_CACHE_HOME"], "clilogin", "*.json"))
	profiles, _ := os.ReadDir(filepath.Join(env["XDG_CONFIG_HOME"], "clilogin", "profiles"))
	if len(files) != 3 || len(f.profiles) != 3 {
		t.Errorf("three accounts: %d entries, %d profiles (%v)", len(files), len(f.profiles), profiles)
	}
}

// Each account has its own lock: a login of bob does not wait for one of
// alice that holds hers; two logins of alice still share one.
func TestAccountsLockApart(t *testing.T) {
	b := newUsersBackend(t)
	env := cliEnv(t.TempDir())
	f := &fakeIdP{gate: make(chan struct{}), started: make(chan struct{}, 3)}
	var wg sync.WaitGroup
	results := make([]cliRun, 3)
	for i, u := range []string{"alice", "bob", "alice"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = runFake(t, env, f, "token", "-b", b.srv.URL, "--headless", "-u", u)
		}()
	}
	// Both accounts' logins start while neither has finished.
	for range 2 {
		select {
		case <-f.started:
		case <-time.After(10 * time.Second):
			close(f.gate)
			wg.Wait()
			t.Fatalf("alice's and bob's logins did not run at once: %d started", f.logins.Load())
		}
	}
	close(f.gate)
	wg.Wait()
	for i, u := range []string{"alice", "bob", "alice"} {
		if jwtUser(strings.TrimSpace(results[i].stdout)) != u {
			t.Errorf("token -u %s: %+v", u, results[i])
		}
	}
	if f.most.Load() < 2 || f.logins.Load() != 2 {
		t.Errorf("%d logins, at most %d at once; want 2, both at once", f.logins.Load(), f.most.Load())
	}
}
