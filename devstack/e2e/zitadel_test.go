package e2e

import (
	"path/filepath"
	"testing"

	"github.com/clilogin/clilogin/devstack"
)

// A third IdP, zitadel/oidc's example OP, with its own login page (an
// input without a type; its error is only red text).
func TestLoginZitadelIdP(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	s := newStack(t, devstack.Config{IdP: "zitadel"})
	profile := filepath.Join(t.TempDir(), "p")

	wrong := clilogin(t, run{args: loginArgs(s.BackendURL, profile), env: []string{"CLILOGIN_PASSWORD=wrong-password"}})
	wantCode(t, wrong, 4)
	wantContains(t, "stderr", wrong.stderr, "the identity provider refused the sign-in: username or password wrong")

	ok := clilogin(t, run{args: loginArgs(s.BackendURL, profile, "--expect-identity", "alice@example.com"),
		env: []string{"CLILOGIN_PASSWORD=" + password}})
	wantCode(t, ok, 0)
	wantContains(t, "stdout", ok.stdout, "logged in to "+s.BackendURL+" as alice@example.com")

	mismatch := clilogin(t, run{args: loginArgs(s.BackendURL, profile, "--expect-identity", "bob@example.com"),
		env: []string{"CLILOGIN_PASSWORD=" + password}})
	wantCode(t, mismatch, 4)
	wantContains(t, "stderr", mismatch.stderr, `logged in as "alice@example.com", expected "bob@example.com"`)
}
