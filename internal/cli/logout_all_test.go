package cli

import (
	"path/filepath"
	"testing"
)

// CLILOGIN_ACCOUNT, as login -o env exports it, does not stop logout --all
// (an explicit flag): --all forgets every account, that one included.
func TestLogoutAllWithTheAccountVariableSet(t *testing.T) {
	b := newUsersBackend(t)
	env := cliEnv(t.TempDir())
	f := &fakeIdP{}
	for _, u := range []string{"alice", "bob"} {
		if r := runFake(t, env, f, "login", "-b", b.srv.URL, "--headless", "-u", u); r.code != 0 {
			t.Fatalf("login -u %s: %+v", u, r)
		}
	}
	r := runFake(t, withEnv(env, "CLILOGIN_ACCOUNT", "alice"), f, "logout", "-b", b.srv.URL, "--all")
	if r.code != 0 {
		t.Fatalf("CLILOGIN_ACCOUNT=alice logout --all: %+v", r)
	}
	if files, _ := filepath.Glob(filepath.Join(env["XDG_CACHE_HOME"], "clilogin", "*.json")); len(files) != 0 {
		t.Errorf("logout --all left %q", files)
	}
}
