package cli

import (
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
