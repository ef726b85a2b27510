package cli

import (
	"strings"
	"testing"
)

// The account login -o env exports is the account signed in: eval'd, the
// next command acts on that account, not on another spelling of it. A
// name that could not be shown faithfully (an invisible format character,
// a line separator) is refused up front, exit 2.
func TestAccountExportedByLoginIsTheAccount(t *testing.T) {
	b := newUsersBackend(t)
	env := cliEnv(t.TempDir())
	f := &fakeIdP{}
	for _, name := range []string{"work\u200bteam", "ops\u202eadmin", "a\u2028b", "plain name@example.test"} {
		r := runFake(t, env, f, "login", "-b", b.srv.URL, "--headless", "-u", "alice", "--account", name, "-o", "env")
		if r.code == ExitUsage && r.stdout == "" && name != "plain name@example.test" {
			continue // refused: fine, for a name that cannot be shown
		}
		if r.code != 0 {
			t.Errorf("login --account %q: %+v", name, r)
			continue
		}
		want := "export CLILOGIN_ACCOUNT=" + shellQuote(name) + "\n"
		if !strings.Contains(r.stdout, want) {
			t.Errorf("login --account %q -o env exports another account:\n%s\nwant %s", name, r.stdout, want)
		}
	}
}
