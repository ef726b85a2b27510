package cli

import (
	"strings"
	"testing"
)

// An empty --account or --username on the command line (a script's unset
// variable, --account "$VIEWER") names no account: it must not fall back
// to the backend's only cached account, another identity's.
func TestEmptyAccountOnTheCommandLineIsRefused(t *testing.T) {
	b := newUsersBackend(t)
	env := cliEnv(t.TempDir())
	f := &fakeIdP{}
	if r := runFake(t, env, f, "login", "-b", b.srv.URL, "--headless", "-u", "admin"); r.code != 0 {
		t.Fatalf("login -u admin: %+v", r)
	}
	for _, flag := range []string{"--account", "-u", "--username"} {
		r := runFake(t, env, f, "token", "-b", b.srv.URL, "--headless", flag, "")
		if r.code != ExitUsage || r.stdout != "" || !strings.Contains(r.stderr, "empty") {
			t.Errorf("token %s '': exit %d, token of %q, stderr %q; want exit 2 and no token", flag, r.code, jwtUser(strings.TrimSpace(r.stdout)), r.stderr)
		}
	}
	// An empty variable is an unset one, as for every CLILOGIN_* variable.
	if r := runFake(t, withEnv(env, "CLILOGIN_ACCOUNT", ""), f, "token", "-b", b.srv.URL, "--headless"); r.code != 0 || jwtUser(strings.TrimSpace(r.stdout)) != "admin" {
		t.Errorf("CLILOGIN_ACCOUNT='': %+v", r)
	}
}

func withEnv(env map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for ek, ev := range env {
		out[ek] = ev
	}
	return out
}
