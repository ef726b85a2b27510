package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nodeStack is the Node.js backend with the oidc-provider IdP: another
// language, another IdP, other pages, the same contract.
type nodeStack struct {
	Backend, Issuer, Username, Password, Email string
	TOTPSecret                                 string `json:"totp_secret"`
}

func startNodeStack(t *testing.T, env ...string) nodeStack {
	t.Helper()
	need(t, "Node.js", "node")
	dir, _ := filepath.Abs("../../testdata/nodestack")
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		msg := "testdata/nodestack has no node_modules; run: cd testdata/nodestack && npm ci (make test does)"
		if os.Getenv("CI") == "true" {
			t.Fatal("CI: " + msg)
		}
		t.Skip(msg)
	}
	cmd := exec.Command("node", "stack.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = nil // its logs are not needed
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	var s nodeStack
	select {
	case l := <-line:
		if err := json.Unmarshal([]byte(l), &s); err != nil || s.Backend == "" {
			t.Fatalf("node stack said %q: %v", l, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the node stack did not start in 20s")
	}
	return s
}

// clilogin signs in to a backend that is not ours: its login form, consent
// page and wrong-password message are oidc-provider's (as set up in
// testdata/nodestack), not Dex's.
func TestLoginNodeBackendWithAnotherIdP(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	s := startNodeStack(t)
	args := func(profile string, extra ...string) []string {
		return append([]string{"login", "--backend", s.Backend, "--headless", "--username", s.Username,
			"--profile", profile, "--timeout", "30s"}, extra...)
	}

	t.Run("wrong password", func(t *testing.T) {
		r := clilogin(t, run{args: args(filepath.Join(t.TempDir(), "p")), env: []string{"CLILOGIN_PASSWORD=wrong-password"}})
		wantCode(t, r, 4)
		wantContains(t, "stderr", r.stderr, "the identity provider refused the sign-in: Wrong email address or password.")
	})

	t.Run("consent not allowed headless", func(t *testing.T) {
		r := clilogin(t, run{args: args(filepath.Join(t.TempDir(), "p"), "--no-consent"),
			env: []string{"CLILOGIN_PASSWORD=" + s.Password}})
		wantCode(t, r, 4)
		wantContains(t, "stderr", r.stderr, "asks for consent at "+s.Issuer+"/interaction/")
	})

	profile := filepath.Join(t.TempDir(), "p")
	cold := clilogin(t, run{args: args(profile, "-v"), env: []string{"CLILOGIN_PASSWORD=" + s.Password}})
	wantCode(t, cold, 0)
	if want := "logged in to " + s.Backend + " as " + s.Email + "\n"; cold.stdout != want {
		t.Errorf("stdout = %q, want %q", cold.stdout, want)
	}
	wantContains(t, "-v log", cold.stderr, "filled credentials")
	wantContains(t, "-v log", cold.stderr, "passed consent")
	wantContains(t, "-v log", cold.stderr, "clicked Allow")
	for _, secret := range []string{s.Password, "eyJ"} {
		if strings.Contains(cold.stderr+cold.stdout, secret) {
			t.Errorf("output shows a secret (%.4s…)", secret)
		}
	}

	warm := clilogin(t, run{args: []string{"login", "--backend", s.Backend, "--headless", "--profile", profile, "--timeout", "30s"}})
	wantCode(t, warm, 0)
	wantContains(t, "stdout", warm.stdout, "as "+s.Email)
}

// The Node IdP in its other modes: identifier-first on two pages, a
// password field added in the same document, a one-time code with "stay
// signed in?", and a refusal of headless browsers. No selector is given.
func TestLoginNodeIdPModes(t *testing.T) {
	need(t, "Chromium", browserPaths["shell"])
	tests := []struct {
		name string
		env  []string
		code int
		want []string // in the -v log, or in stderr for a failure
	}{
		{"two-step", []string{"NODESTACK_FLOW=two-step"}, 0, []string{"filled username", "clicked Next", "filled credentials", "clicked Sign in", "clicked Allow"}},
		{"same-document", []string{"NODESTACK_FLOW=spa"}, 0, []string{"filled username", "clicked Next", "filled credentials", "clicked Sign in"}},
		{"totp and stay signed in", []string{"NODESTACK_FLOW=two-step", "NODESTACK_TOTP_SECRET=JBSWY3DPEHPK3PXP", "NODESTACK_STAY_SIGNED_IN=1"}, 0,
			[]string{"filled credentials", "filled otp", "clicked Verify", "passed consent", "clicked Yes"}},
		{"headless refused", []string{"NODESTACK_REQUIRE_HEADED=1"}, 4, []string{"refuses this headless browser", "xvfb-run"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startNodeStack(t, tt.env...)
			env := []string{"CLILOGIN_PASSWORD=" + s.Password}
			if s.TOTPSecret != "" {
				env = append(env, "CLILOGIN_TOTP_SECRET="+s.TOTPSecret)
			}
			r := clilogin(t, run{args: []string{"login", "--backend", s.Backend, "--headless", "--username", s.Username,
				"--profile", filepath.Join(t.TempDir(), "p"), "--timeout", "30s", "-v"}, env: env})
			wantCode(t, r, tt.code)
			rest := r.stderr
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("stderr lacks %q (in order %q):\n%s", w, tt.want, r.stderr)
				}
				rest = rest[i+len(w):]
			}
			if tt.code == 0 {
				wantContains(t, "stdout", r.stdout, "as "+s.Email)
			}
			if strings.Contains(r.stdout+r.stderr, s.Password) || s.TOTPSecret != "" && strings.Contains(r.stderr, s.TOTPSecret) {
				t.Error("output shows a secret")
			}
		})
	}
	t.Run("totp missing", func(t *testing.T) {
		t.Parallel()
		s := startNodeStack(t, "NODESTACK_TOTP_SECRET=JBSWY3DPEHPK3PXP")
		r := clilogin(t, run{args: []string{"login", "--backend", s.Backend, "--headless", "--username", s.Username,
			"--profile", filepath.Join(t.TempDir(), "p"), "--timeout", "30s"}, env: []string{"CLILOGIN_PASSWORD=" + s.Password}})
		wantCode(t, r, 4)
		wantContains(t, "stderr", r.stderr, "asks for a one-time code, and no TOTP secret was given")
	})
}
