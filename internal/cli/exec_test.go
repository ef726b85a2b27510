package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/cache"
)

// cachedExec prepares a cache that holds a valid token for the backend of
// args, so that exec runs its command without any browser or request.
func cachedExec(t *testing.T, args []string) (Env, string) {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	env := envOf(map[string]string{"HOME": t.TempDir(), "XDG_CACHE_HOME": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir()})
	o, err := parseOptions(args, env)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(commandNamed(o.Command), o, env, IO{Err: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour)
	enc := base64.RawURLEncoding.EncodeToString
	tok := enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(fmt.Sprintf(`{"exp":%d}`, exp.Unix()))) + ".sig"
	a.save(cache.Entry{Username: o.Username, Token: tok, TokenExpiresAt: exp}) // as a login with -u records it
	if e := a.load(); e.Token != tok {
		t.Fatal("the token was not cached")
	}
	return env, tok
}

// The command exec runs gets clilogin's environment without clilogin's own
// variables (the password, the TOTP secret, the user name…), plus
// CLILOGIN_TOKEN.
func TestExecChildGetsNoCLILoginVariableButTheToken(t *testing.T) {
	args := []string{"exec", "-b", "http://127.0.0.1:1", "--", "env"}
	env, tok := cachedExec(t, args)
	t.Setenv("CLILOGIN_PASSWORD", "pw-secret-0451")
	t.Setenv("CLILOGIN_TOTP_SECRET", "JBSWY3DPEHPK3PXP")
	t.Setenv("CLILOGIN_USERNAME", "alice@example.com")
	t.Setenv("clilogin_password", "lower-case-0451")
	t.Setenv("KEEP_ME", "kept")
	var out, errb bytes.Buffer
	if code := Run(context.Background(), args, env, IO{In: strings.NewReader(""), Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(out.String(), "\n")
	has := func(l string) bool {
		for _, x := range lines {
			if x == l {
				return true
			}
		}
		return false
	}
	if !has("CLILOGIN_TOKEN="+tok) || !has("KEEP_ME=kept") {
		t.Errorf("the child lacks CLILOGIN_TOKEN or the rest of the environment:\n%s", out.String())
	}
	for _, l := range lines {
		name, _, _ := strings.Cut(l, "=")
		if strings.HasPrefix(strings.ToUpper(name), "CLILOGIN_") && name != "CLILOGIN_TOKEN" {
			t.Errorf("the child got %s", name)
		}
	}
	for _, secret := range []string{"pw-secret-0451", "JBSWY3DPEHPK3PXP", "alice@example.com", "lower-case-0451"} {
		if strings.Contains(out.String()+errb.String(), secret) {
			t.Errorf("the child saw %q", secret)
		}
	}
}

// With --password-stdin, clilogin takes the first line of its input and the
// command gets the rest, untouched, even when the token comes from the cache
// (no password needed): through a reader and through a real pipe whose file
// descriptor the command inherits.
func TestExecPasswordStdinLeavesTheRestOfStdinToTheChild(t *testing.T) {
	args := []string{"exec", "-b", "http://127.0.0.1:1", "--password-stdin", "-u", "alice", "--", "cat"}
	env, _ := cachedExec(t, args)
	const input = "pw-secret-0451\nchild line 1\nchild line 2\n"
	const want = "child line 1\nchild line 2\n"

	t.Run("reader", func(t *testing.T) {
		var out, errb bytes.Buffer
		if code := Run(context.Background(), args, env, IO{In: strings.NewReader(input), Out: &out, Err: &errb}); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		if out.String() != want {
			t.Errorf("the child read %q, want %q", out.String(), want)
		}
	})
	t.Run("pipe", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		go func() { w.WriteString(input); w.Close() }()
		var out, errb bytes.Buffer
		if code := Run(context.Background(), args, env, IO{In: r, Out: &out, Err: &errb}); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		if out.String() != want {
			t.Errorf("the child read %q, want %q", out.String(), want)
		}
	})
}

func TestReadLineReadsNoFurtherThanTheNewline(t *testing.T) {
	for _, tt := range []struct{ in, line, rest string }{
		{"pw\nrest\n", "pw", "rest\n"},
		{"pw\r\nrest", "pw", "rest"},
		{"pw", "pw", ""},
		{"\nrest", "", "rest"},
	} {
		r := strings.NewReader(tt.in)
		line, err := readLine(r)
		if err != nil || line != tt.line {
			t.Errorf("readLine(%q) = %q, %v; want %q", tt.in, line, err, tt.line)
		}
		var rest bytes.Buffer
		rest.ReadFrom(r)
		if rest.String() != tt.rest {
			t.Errorf("readLine(%q) left %q, want %q", tt.in, rest.String(), tt.rest)
		}
	}
	if _, err := readLine(strings.NewReader(strings.Repeat("x", 70000))); err == nil {
		t.Error("a line without end was read whole")
	}
}
