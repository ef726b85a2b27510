package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/cache"
)

// One --profile (or CLILOGIN_PROFILE) for two accounts: the profile's IdP
// session is whoever signed in there last, not the account's. A login of
// -u bob must not come back as alice because alice signed in to the
// shared profile since bob's entry was written.
func TestSharedProfileDoesNotSignInAnotherUser(t *testing.T) {
	b := newUsersBackend(t)
	env := cliEnv(t.TempDir())
	profile := filepath.Join(t.TempDir(), "shared")
	f := &fakeIdP{}
	run := func(args ...string) cliRun {
		return runFake(t, env, f, append(args, "-b", b.srv.URL, "--headless", "--profile", profile)...)
	}
	if r := run("login", "-u", "bob"); r.code != 0 {
		t.Fatalf("login -u bob: %+v", r)
	}
	if r := run("login", "-u", "alice"); r.code != 0 {
		t.Fatalf("login -u alice: %+v", r)
	}
	// bob's entry keeps no IdP session (it expired, or the IdP keeps none
	// clilogin can see): the browser, with alice's IdP session in the
	// shared profile.
	store := cache.Store{Dir: filepath.Join(env["XDG_CACHE_HOME"], "clilogin")}
	name := backend.MustParse(b.srv.URL).AccountCacheName("bob")
	e, err := store.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	e.IdPSession = nil
	if err := store.Save(name, e); err != nil {
		t.Fatal(err)
	}
	r := run("login", "-u", "bob", "--no-replay", "-o", "json")
	if r.code == 0 && !strings.Contains(r.stdout, `"identity":"bob"`) {
		t.Fatalf("login -u bob exit 0 as someone else: %s", r.stdout)
	}
	if tok := run("token", "-u", "bob"); tok.code == 0 && jwtUser(strings.TrimSpace(tok.stdout)) != "bob" {
		t.Errorf("token -u bob is %q's", jwtUser(strings.TrimSpace(tok.stdout)))
	}
}

// A profile that is not the account's own is cleared before a login with
// --username, and the account's own IdP session, signed in as that user, is
// put back: the login is that user's and silent, as in the account's own
// profile. A remote browser uses no profile at all: its login runs in a new
// browser context, with the account's own session restored.
func TestSharedProfileGetsTheAccountsOwnSessionBack(t *testing.T) {
	for _, remote := range []bool{false, true} {
		t.Run(fmt.Sprintf("remote=%v", remote), func(t *testing.T) {
			b := newUsersBackend(t)
			env := cliEnv(t.TempDir())
			args := []string{"-b", b.srv.URL, "--headless", "--profile", filepath.Join(t.TempDir(), "shared")}
			if remote {
				args = append(args, "--remote-browser", "ws://127.0.0.1:9/devtools/browser/x")
			}
			f := &fakeIdP{}
			run := func(cmd ...string) cliRun { return runFake(t, env, f, append(cmd, args...)...) }
			for _, u := range []string{"bob", "alice"} {
				if r := run("login", "-u", u); r.code != 0 {
					t.Fatalf("login -u %s: %+v", u, r)
				}
			}
			r := run("login", "-u", "bob", "--no-replay", "-o", "json")
			if r.code != 0 || !strings.Contains(r.stdout, `"identity":"bob"`) {
				t.Fatalf("login -u bob: %+v", r)
			}
			var own bool
			for _, c := range f.restored {
				own = own || c.Name == "idp" && c.Value == "bob"
			}
			if !own {
				t.Errorf("bob's own IdP session was not restored: %+v", f.restored)
			}
		})
	}
}
