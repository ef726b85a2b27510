package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/clilogin/clilogin/devstack"
)

// coldRuns is how many cold logins in a row coldLogins runs: 2 by default,
// CLILOGIN_E2E_COLD_RUNS=20 for the form-detection soak.
func coldRuns() int {
	if n, err := strconv.Atoi(os.Getenv("CLILOGIN_E2E_COLD_RUNS")); err == nil && n > 0 {
		return n
	}
	return 2
}

// coldLogins runs cold logins (each on a new profile) in a row, fails on
// any that does not succeed, says how many were refused, and returns the
// first run.
func coldLogins(t *testing.T, idp string, login func(profile string) run) result {
	t.Helper()
	n := coldRuns()
	var first result
	ok, refused := 0, 0
	for i := 0; i < n; i++ {
		r := clilogin(t, login(filepath.Join(t.TempDir(), "p")))
		if i == 0 {
			first = r
		}
		switch {
		case r.code == 0:
			ok++
		case strings.Contains(r.stderr, "refused"):
			refused++
			t.Errorf("cold login %d of %d refused: %s", i+1, n, r)
		default:
			t.Errorf("cold login %d of %d: %s", i+1, n, r)
		}
	}
	t.Logf("%s: %d cold logins in a row: %d ok, %d refused, %d other failures", idp, n, ok, refused, n-ok-refused)
	return first
}

// Cold logins in a row on each in-process or Node IdP: the form detection
// never mistakes a page for a refusal.
func TestColdLoginsInARow(t *testing.T) {
	need(t, "Chromium", browserPaths["shell"])
	args := func(backend string) func(string) run {
		return func(p string) run {
			return run{args: loginArgs(backend, p, "--expect-identity", devstack.DemoUser.Email), env: []string{"CLILOGIN_PASSWORD=" + password}}
		}
	}
	t.Run("dex", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, devstack.Config{Approval: true})
		coldLogins(t, "dex", args(s.BackendURL))
	})
	t.Run("zitadel", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, devstack.Config{IdP: "zitadel"})
		coldLogins(t, "zitadel", args(s.BackendURL))
	})
	t.Run("oidc-provider", func(t *testing.T) {
		t.Parallel()
		s := startNodeStack(t)
		coldLogins(t, "oidc-provider", func(p string) run {
			return run{args: []string{"login", "--backend", s.Backend, "--headless", "--username", s.Username,
				"--profile", p, "--timeout", "30s", "--expect-identity", s.Email}, env: []string{"CLILOGIN_PASSWORD=" + s.Password}}
		})
	})
}
