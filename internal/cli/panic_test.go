package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// panicReader is a library that panics.
type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("reader exploded") }

// A panic in a library ends as exit 1 with a message and the -v hint, and no
// stack trace unless -v.
func TestAPanicIsAnErrorWithoutAStackTrace(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		args := []string{"login", "-b", "http://127.0.0.1:1", "--password-stdin", "--username", "u"}
		if verbose {
			args = append(args, "-v")
		}
		var out, errb bytes.Buffer
		code := Run(context.Background(), args, envOf(map[string]string{"XDG_CONFIG_HOME": t.TempDir(), "XDG_CACHE_HOME": t.TempDir()}),
			IO{In: panicReader{}, Out: &out, Err: &errb})
		stderr := errb.String()
		if code != ExitInternal || !strings.Contains(stderr, "clilogin: error: internal error: reader exploded") ||
			!strings.Contains(stderr, "clilogin: hint: this is a bug in clilogin; please report it with the output of -v") {
			t.Errorf("-v %v: exit %d, stderr:\n%s", verbose, code, stderr)
		}
		if strings.Contains(stderr, "goroutine ") != verbose {
			t.Errorf("-v %v: stack trace shown %v:\n%s", verbose, !verbose, stderr)
		}
	}
}

// A loopback --remote-browser whose /json/version names a clear-text
// DevTools URL off loopback would send the login there: it is refused.
func TestRemoteBrowserNamingClearTextOffLoopbackIsRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"webSocketDebuggerUrl":"ws://192.0.2.7:9222/devtools/browser/x"}`))
	}))
	defer srv.Close()
	r := runCLI(t, map[string]string{"XDG_CONFIG_HOME": t.TempDir(), "XDG_CACHE_HOME": t.TempDir()},
		"login", "-b", srv.URL, "--remote-browser", srv.URL, "--username", "u", "--timeout", "15s")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "clilogin: error: the DevTools URL ws://192.0.2.7:9222/devtools/browser/x named by --remote-browser "+srv.URL+" is not on loopback") {
		t.Errorf("exit %d:\n%s", r.code, r.stderr)
	}
}
