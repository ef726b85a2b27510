package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clilogin/clilogin/devstack"
)

// Chrome's processes get no CLILOGIN_* variable: not the password, not the
// TOTP secret. The browser here is a wrapper that writes its environment
// down and then becomes the real browser.
func TestChromeGetsNoCLILoginVariables(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	wrapper := filepath.Join(dir, "chrome")
	script := "#!/bin/sh\nenv > '" + envFile + "'\nexec '" + browserPaths["shell"] + "' \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	const totp = "JBSWY3DPEHPK3PXP"
	r := clilogin(t, run{args: loginArgs(stack.BackendURL, filepath.Join(dir, "profile"), "--browser", wrapper),
		env: []string{"CLILOGIN_PASSWORD=" + password, "CLILOGIN_TOTP_SECRET=" + totp, "KEEP_ME=kept"}})
	wantCode(t, r, 0)
	b, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatalf("the wrapper did not run: %v", err)
	}
	env := string(b)
	wantContains(t, "Chrome's environment", env, "KEEP_ME=kept")
	for _, l := range strings.Split(env, "\n") {
		if strings.HasPrefix(l, "CLILOGIN_") {
			name, _, _ := strings.Cut(l, "=")
			t.Errorf("Chrome got %s", name)
		}
	}
	noSecrets(t, "Chrome's environment", env, []string{password, totp})
}

// exec --password-stdin after a browser login: clilogin takes the first line
// of its input as the password and the command reads the rest, untouched.
func TestExecPasswordStdinAfterABrowserLogin(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	env := []string{"CLILOGIN_BACKEND=" + stack.BackendURL, "CLILOGIN_HEADLESS=true", "CLILOGIN_TIMEOUT=30s"}
	r := clilogin(t, run{args: []string{"exec", "--password-stdin", "-u", devstack.DemoUser.Email, "-v", "--", "cat"},
		env: env, stdin: password + "\nchild line 1\nchild line 2\n"})
	wantCode(t, r, 0)
	wantContains(t, "-v log", r.stderr, "filled credentials")
	if r.stdout != "child line 1\nchild line 2\n" {
		t.Errorf("the command read %q, want the input after the password line", r.stdout)
	}
	noSecrets(t, "stdout", r.stdout, []string{password})
}

// exec forwards SIGTERM and SIGINT (stdin is not a terminal here) to its
// command and passes its code on; a command killed by signal N gives
// 128+N.
func TestExecForwardsSignalsAndReports128PlusN(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	home := t.TempDir()
	env := scriptEnv(stack.BackendURL)
	wantCode(t, clilogin(t, run{args: []string{"token"}, env: env, home: home}), 0) // a cached token: no browser below

	for _, tt := range []struct {
		sig  syscall.Signal
		trap string
		code int
	}{
		{syscall.SIGTERM, "TERM", 42},
		{syscall.SIGINT, "INT", 43},
		{syscall.SIGHUP, "HUP", 44},
	} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			script := `trap 'exit ` + strconv.Itoa(tt.code) + `' ` + tt.trap + `; echo ready >&2; while :; do sleep 0.05; done`
			p := startCLI(t, run{home: home, env: env, args: []string{"exec", "--", "sh", "-c", script}})
			p.waitFor(t, "ready")
			sent := time.Now()
			p.cmd.Process.Signal(tt.sig)
			r := p.wait(t, sent)
			wantCode(t, r, tt.code)
		})
	}
	t.Run("killed by a signal", func(t *testing.T) {
		r := clilogin(t, run{home: home, env: env, args: []string{"exec", "--", "sh", "-c", "kill -KILL $$"}})
		wantCode(t, r, 128+int(syscall.SIGKILL))
		r = clilogin(t, run{home: home, env: env, args: []string{"exec", "--", "sh", "-c", "kill -TERM $$"}})
		wantCode(t, r, 128+int(syscall.SIGTERM))
	})
}
