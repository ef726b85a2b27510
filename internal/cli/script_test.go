package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/term"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/cache"
	"github.com/clilogin/clilogin/internal/cookies"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/script")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"clilogin": func() {
			os.Exit(Run(context.Background(), os.Args[1:], os.LookupEnv, IO{
				In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
				InIsTerminal: term.IsTerminal(int(os.Stdin.Fd())),
			}))
		},
	})
}

// TestScripts runs the golden CLI tests in testdata/script: help, usage
// errors and exit codes, output formats, status and logout. Each script
// has a backend of its own ($BACKEND) that answers the token for the
// session cookie a `seed` command puts in the cache, so no browser is
// needed; --browser /nonexistent makes sure none is started.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			tok := testJWT(time.Now().Add(time.Hour))
			srv := httptest.NewServer(scriptBackend(tok))
			env.Defer(srv.Close)
			home := filepath.Join(env.WorkDir, "home")
			env.Setenv("HOME", home)
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			env.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
			env.Setenv("BACKEND", srv.URL)
			env.Setenv("TOKEN", tok)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"seed":  scriptSeed,
			"exits": exits,
		},
	})
}

// scriptBackend follows the seed contract for the session cookie
// session=s3cr3t.
func scriptBackend(tok string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://localhost:1/authorize", http.StatusFound)
	})
	mux.HandleFunc("GET /user/token", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err != nil || c.Value != "s3cr3t" {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, tok)
	})
	mux.HandleFunc("GET /user/id", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+tok {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "alice@example.com")
	})
	return mux
}

// testJWT is an unsigned JWT that expires at exp.
func testJWT(exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		enc(fmt.Appendf(nil, `{"sub":"alice","exp":%d}`, exp.Unix())) + ".c2ln"
}

// scriptSeed puts the backend's session cookie in the cache, as a browser
// login would have: seed [COOKIE_VALUE].
func scriptSeed(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! seed")
	}
	value := "s3cr3t"
	if len(args) > 0 {
		value = args[0]
	}
	u, err := url.Parse(ts.Getenv("BACKEND"))
	ts.Check(err)
	store := cache.Store{Dir: filepath.Join(ts.Getenv("XDG_CACHE_HOME"), "clilogin")}
	ts.Check(store.Save((&backend.Backend{URL: u}).CacheName(), cache.Entry{
		Backend: u.String(),
		Cookies: []cookies.Cookie{{Name: "session", Value: value, Domain: u.Hostname(), Path: "/", HostOnly: true, HTTPOnly: true}},
		SavedAt: time.Now().UTC(),
	}))
}

// exits runs a command and checks its exit code: exits CODE PROG [ARGS].
// Its stdout and stderr are kept for the commands that follow.
func exits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROG [ARGS]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}
