package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/clilogin/clilogin/devstack"
)

// startGlewlwyd runs Debian's glewlwyd as devstack.StartGlewlwyd sets it
// up: the package's own configuration and database, changed only where a
// test must.
func startGlewlwyd(t *testing.T) *devstack.Glewlwyd {
	t.Helper()
	need(t, "Glewlwyd", devstack.GlewlwydBin)
	g, err := devstack.StartGlewlwyd(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	return g
}

// edit replaces what the regular expression re matches with with.
type edit struct{ re, with string }

// rewrite writes to dst a package's file src with the edits made, each
// of which must match: a package whose file changed fails the test here.
func rewrite(t *testing.T, src, dst string, edits ...edit) {
	t.Helper()
	des := make([]devstack.Edit, len(edits))
	for i, e := range edits {
		des[i] = devstack.Edit{Re: e.re, With: e.with}
	}
	if err := devstack.Rewrite(src, dst, des...); err != nil {
		t.Fatal(err)
	}
}

// freePort is a port the OS just gave out, for a server that cannot listen
// on port 0 itself.
func freePort(t *testing.T) int {
	t.Helper()
	p, err := devstack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Glewlwyd's own single-page login: sign-in, scope consent (the unticked
// scopes are ticked) and "continue", all in one document. Cold logins in a
// row never see a false refusal; a warm login with no credentials gets
// through with the session alone; a headed login under Xvfb works the same.
func TestLoginGlewlwydIdP(t *testing.T) {
	need(t, "Chromium", browserPaths["shell"])
	g := startGlewlwyd(t)
	s := newStack(t, devstack.Config{External: g.Register})
	user := devstack.DemoUser.Email

	wrong := clilogin(t, run{args: loginArgs(s.BackendURL, filepath.Join(t.TempDir(), "p")), env: []string{"CLILOGIN_PASSWORD=wrong-password"}})
	wantCode(t, wrong, 4)
	wantContains(t, "stderr", wrong.stderr, "the identity provider refused the sign-in: ")
	wantContains(t, "stderr", wrong.stderr, "Authentication error")

	var profile string
	first := coldLogins(t, "glewlwyd", func(p string) run {
		profile = p
		return run{args: loginArgs(s.BackendURL, p, "-v", "--expect-identity", user), env: []string{"CLILOGIN_PASSWORD=" + password}}
	})
	wantContains(t, "-v log", first.stderr, "passed consent")
	wantContains(t, "-v log", first.stderr, "ticked 2 scopes, clicked Grant access")
	wantContains(t, "-v log", first.stderr, "passed continue")

	warm := clilogin(t, run{args: []string{"login", "--backend", s.BackendURL, "--headless", "--profile", profile, "--timeout", "30s", "-v"}})
	wantCode(t, warm, 0)
	wantContains(t, "stdout", warm.stdout, "as "+user)
	if strings.Contains(warm.stderr, "filled") {
		t.Errorf("the warm login filled a form:\n%s", warm.stderr)
	}

	t.Run("headed under Xvfb", func(t *testing.T) {
		need(t, "Chromium", browserPaths["chromium"])
		display := startXvfb(t)
		r := clilogin(t, run{args: []string{"login", "--backend", s.BackendURL, "--headless=false", "--browser", browserPaths["chromium"],
			"--username", user, "--profile", filepath.Join(t.TempDir(), "p"), "--timeout", "60s", "--expect-identity", user},
			env: []string{"CLILOGIN_PASSWORD=" + password, "DISPLAY=" + display}})
		wantCode(t, r, 0)
	})
}
