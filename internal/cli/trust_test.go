package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/cache"
	"github.com/clilogin/clilogin/internal/cookies"
)

// cliEnv is the environment of a clilogin run in a home of its own.
func cliEnv(home string) map[string]string {
	return map[string]string{"HOME": home, "XDG_CACHE_HOME": filepath.Join(home, ".cache"),
		"XDG_CONFIG_HOME": filepath.Join(home, ".config")}
}

type cliRun struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, env map[string]string, args ...string) cliRun {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code := Run(ctx, args, envOf(env), IO{In: strings.NewReader(""), Out: &out, Err: &errb})
	return cliRun{code, out.String(), errb.String()}
}

// seedCache writes e as the cached login of backend, where clilogin itself
// would look for it, and returns the cache directory.
func seedCache(t *testing.T, env map[string]string, backend string, e cache.Entry) string {
	t.Helper()
	o, err := parseOptions([]string{"token", "-b", backend}, envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(commandNamed(o.Command), o, envOf(env), IO{})
	if err != nil {
		t.Fatal(err)
	}
	if e.Backend == "" {
		e.Backend = o.Backend.String()
	}
	if err := os.MkdirAll(a.store.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := a.store.Save(a.name, e); err != nil {
		t.Fatal(err)
	}
	return a.store.Dir
}

// backendServer answers the paths in routes.
func backendServer(t *testing.T, routes map[string]http.HandlerFunc) string {
	t.Helper()
	mux := http.NewServeMux()
	for p, h := range routes {
		mux.HandleFunc(p, h)
	}
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s.URL
}

const hostile = "\x1b]0;owned\x07alice\x1b[2J\u009b31m\u202e"

func noControl(t *testing.T, where, s string) {
	t.Helper()
	for _, c := range []string{"\x1b", "\x07", "\u009b", "\u202e"} {
		if strings.Contains(s, c) {
			t.Errorf("%s holds the control character %q: %q", where, c, s)
		}
	}
}

// An identity with control characters: answered by the backend, it is
// refused (exit 5) with the answer shown escaped; read from a cache file
// another program wrote, it is shown escaped.
func TestWhoamiAndStatusEscapeTheIdentity(t *testing.T) {
	backend := backendServer(t, map[string]http.HandlerFunc{
		"/user/id": func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, hostile) },
	})
	env := cliEnv(t.TempDir())
	seedCache(t, env, backend, cache.Entry{Token: testJWT(time.Now().Add(time.Hour)),
		TokenExpiresAt: time.Now().Add(time.Hour), Identity: hostile})
	for _, args := range [][]string{{"whoami", "-b", backend}, {"whoami", "-b", backend, "-o", "env"}, {"whoami", "-b", backend, "-o", "json"},
		{"status"}, {"status", "-o", "json"}, {"token", "-b", backend, "-o", "json"}} {
		r := runCLI(t, env, args...)
		noControl(t, fmt.Sprintf("%q stdout", args), r.stdout)
		noControl(t, fmt.Sprintf("%q stderr", args), r.stderr)
		if args[0] == "whoami" {
			if r.code != ExitUnreachable || !strings.Contains(r.stderr, `\x1b]0;owned`) {
				t.Errorf("%q: exit %d, want 5 with the answer escaped: %s", args, r.code, r.stderr)
			}
			continue
		}
		if r.code != 0 {
			t.Fatalf("%q: exit %d: %s", args, r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, `owned`) {
			t.Errorf("%q: the identity is not shown (escaped): %q", args, r.stdout)
		}
	}
}

func TestErrorExcerptsAreEscaped(t *testing.T) {
	backend := backendServer(t, map[string]http.HandlerFunc{
		"/user/id": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "denied "+hostile, http.StatusUnauthorized)
		},
	})
	env := cliEnv(t.TempDir())
	seedCache(t, env, backend, cache.Entry{Token: testJWT(time.Now().Add(time.Hour)), TokenExpiresAt: time.Now().Add(time.Hour)})
	for _, args := range [][]string{{"whoami", "-b", backend}, {"whoami", "-b", backend, "-v", "-o", "json"}} {
		r := runCLI(t, env, args...)
		if r.code != ExitRefused {
			t.Fatalf("%q: exit %d: %s", args, r.code, r.stderr)
		}
		noControl(t, "stderr", r.stderr)
		noControl(t, "stdout", r.stdout)
		if !strings.Contains(r.stderr, `denied \x1b]0;owned`) {
			t.Errorf("the excerpt is not shown escaped: %q", r.stderr)
		}
	}
}

// A token is printable ASCII without spaces: one with control characters,
// renewed through the cached cookies, is neither printed nor cached.
func TestATokenWithControlCharactersIsRefused(t *testing.T) {
	bad := "eyJh\x1b[2J\x1b]0;owned\x07" + "bGci"
	backend := backendServer(t, map[string]http.HandlerFunc{
		"/user/token": func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, bad) },
	})
	u, _ := url.Parse(backend)
	env := cliEnv(t.TempDir())
	seedCache(t, env, backend, cache.Entry{Cookies: []cookies.Cookie{{Name: "session", Value: "s3cr3t-session", Domain: u.Hostname(), HostOnly: true, Path: "/"}}})
	r := runCLI(t, env, "token", "-b", backend, "--whoami-path", "", "--browser", "/nonexistent/chrome", "-v")
	if r.code == 0 || strings.Contains(r.stdout, "\x1b") {
		t.Fatalf("a token with control characters was printed: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	noControl(t, "stderr", r.stderr)
	wantIn(t, r.stderr, "is not a token")
}

func wantIn(t *testing.T, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Errorf("%q does not contain %q", got, want)
	}
}

// -o env prints lines a shell can eval: quotes, $ and backquotes in a value
// stay in the value, and run nothing. (A newline in an identity is refused
// by the answer's parser; see TestWhoamiAndStatusEscapeTheIdentity.)
func TestOutputEnvQuoting(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	identity := "o'brien \"$HOME\" `touch pwned` $(touch pwned); line two"
	tok := testJWT(time.Now().Add(time.Hour)) + `'$"`
	backend := backendServer(t, map[string]http.HandlerFunc{
		"/user/id": func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, identity) },
	})
	env := cliEnv(t.TempDir())
	seedCache(t, env, backend, cache.Entry{Token: tok, TokenExpiresAt: time.Now().Add(time.Hour)})
	dir := t.TempDir()
	for _, c := range []struct {
		args      []string
		name, val string
	}{
		{[]string{"whoami", "-b", backend, "-o", "env"}, "CLILOGIN_IDENTITY", identity},
		{[]string{"token", "-b", backend, "-o", "env"}, "CLILOGIN_TOKEN", tok},
	} {
		r := runCLI(t, env, c.args...)
		if r.code != 0 || strings.Count(r.stdout, "\n") != 1 || !strings.HasPrefix(r.stdout, "export "+c.name+"=") {
			t.Fatalf("%q: %+v", c.args, r)
		}
		cmd := exec.Command(sh, "-c", `eval "$1" && printf %s "$`+c.name+`"`, "sh", r.stdout)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil || string(out) != c.val {
			t.Errorf("%q: eval gives %q (%v), want %q", c.args, out, err, c.val)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Error("evaluating the output ran a command")
	}
}
