package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/devstack"
)

// A cold login fills Dex's form and prints the identity; a second login on
// the same profile needs no form at all: it succeeds headless without any
// credentials, which fails at once (exit 2) when a form is shown.
func TestLoginColdThenWarm(t *testing.T) {
	for name, bin := range browserPaths {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			need(t, "Chromium", bin)
			profile := filepath.Join(t.TempDir(), "profile")

			cold := clilogin(t, run{
				args: loginArgs(stack.BackendURL, profile, "--browser", bin, "-v"),
				env:  []string{"CLILOGIN_PASSWORD=" + password},
			})
			wantCode(t, cold, 0)
			if want := "logged in to " + stack.BackendURL + " as alice@example.com\n"; cold.stdout != want {
				t.Errorf("stdout = %q, want %q", cold.stdout, want)
			}
			wantContains(t, "cold -v log", cold.stderr, "filled credentials")
			t.Logf("cold login with %s: %s", name, cold.took)

			warm := clilogin(t, run{
				args: []string{"login", "--backend", stack.BackendURL, "--headless", "--browser", bin,
					"--profile", profile, "--timeout", "30s", "-v", "-o", "json"},
			})
			wantCode(t, warm, 0)
			if strings.Contains(warm.stderr, "filled") {
				t.Errorf("the warm login filled a form:\n%s", warm.stderr)
			}
			var got struct {
				Backend, Identity string
				ExpiresAt         time.Time `json:"token_expires_at"`
			}
			if err := json.Unmarshal([]byte(warm.stdout), &got); err != nil {
				t.Fatalf("stdout is not one JSON object: %v\n%s", err, warm.stdout)
			}
			if got.Identity != "alice@example.com" || got.Backend != stack.BackendURL {
				t.Errorf("json = %+v", got)
			}
			if d := time.Until(got.ExpiresAt); d < 50*time.Minute || d > 61*time.Minute {
				t.Errorf("token_expires_at %s is not about an hour from now (devstack's token lifetime)", got.ExpiresAt)
			}
			if strings.Contains(warm.stdout, "eyJ") {
				t.Errorf("login printed a token:\n%s", warm.stdout)
			}
			t.Logf("warm login with %s: %s", name, warm.took)
		})
	}
}

// Dex's approval page is clicked through ("Grant Access", not "Cancel").
func TestLoginClicksThroughConsent(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	s := newStack(t, devstack.Config{Approval: true})
	r := clilogin(t, run{
		args: loginArgs(s.BackendURL, filepath.Join(t.TempDir(), "p"), "-v"),
		env:  []string{"CLILOGIN_PASSWORD=" + password},
	})
	wantCode(t, r, 0)
	wantContains(t, "-v log", r.stderr, "passed consent")
	wantContains(t, "-v log", r.stderr, "Grant Access")
	wantContains(t, "stdout", r.stdout, "as alice@example.com")
}

// The password can come on standard input.
func TestLoginPasswordStdin(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	r := clilogin(t, run{
		args:  loginArgs(stack.BackendURL, filepath.Join(t.TempDir(), "p"), "--password-stdin"),
		stdin: password + "\n",
	})
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "as alice@example.com")
}

func TestLoginWrongPasswordExits4WithDexMessage(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	r := clilogin(t, run{
		args: loginArgs(stack.BackendURL, filepath.Join(t.TempDir(), "p")),
		env:  []string{"CLILOGIN_PASSWORD=not-the-password"},
	})
	wantCode(t, r, 4)
	wantContains(t, "stderr", r.stderr, "clilogin: error: the identity provider refused the sign-in: Invalid Email Address and password.")
	wantContains(t, "stderr", r.stderr, "clilogin: hint: ")
	if strings.Contains(r.stderr, "not-the-password") {
		t.Error("stderr shows the password")
	}
}

func TestLoginMarkerThatNeverAppearsExits3AtTimeout(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	r := clilogin(t, run{
		args: loginArgs(stack.BackendURL, filepath.Join(t.TempDir(), "p"), "--success", "css:#never", "--timeout", "15s"),
		env:  []string{"CLILOGIN_PASSWORD=" + password},
	})
	wantCode(t, r, 3)
	wantContains(t, "stderr", r.stderr, "timed out waiting for the login to finish; last page: "+stack.BackendURL+"/callback?code=REDACTED&state=REDACTED")
	if r.took < 15*time.Second {
		t.Errorf("gave up after %s, before the 15s timeout", r.took)
	}
}

func TestLoginStoppedBackendExits5(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	s := newStack(t, devstack.Config{})
	s.StopBackend()
	r := clilogin(t, run{args: loginArgs(s.BackendURL, filepath.Join(t.TempDir(), "p"))})
	wantCode(t, r, 5)
	wantContains(t, "stderr", r.stderr, "clilogin: error: cannot reach the backend at "+strings.TrimPrefix(s.BackendURL, "http://"))
	wantContains(t, "stderr", r.stderr, "clilogin: hint: check that the backend is running")
}

// --verify-issuer checks the token's signature against the IdP's keys: the
// stack's own Dex verifies it; another Dex, with other keys, refuses it.
func TestLoginVerifiesTheTokenAgainstTheIssuer(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	other := newStack(t, devstack.Config{})
	profile := filepath.Join(t.TempDir(), "p")
	env := []string{"CLILOGIN_PASSWORD=" + password}

	ok := clilogin(t, run{args: loginArgs(stack.BackendURL, profile, "-v", "--verify-issuer", stack.IssuerURL), env: env})
	wantCode(t, ok, 0)
	wantContains(t, "-v log", ok.stderr, "the token's signature verifies against "+stack.IssuerURL)

	forged := clilogin(t, run{args: loginArgs(stack.BackendURL, profile, "--verify-issuer", other.IssuerURL), env: env})
	wantCode(t, forged, 4)
	wantContains(t, "stderr", forged.stderr, "the token does not verify against "+other.IssuerURL)
	if strings.Contains(forged.stderr, "eyJ") {
		t.Error("the error shows the token")
	}
}
