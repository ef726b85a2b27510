package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A backend without a login path: check prints one line per step, says
// what to change, and exits 5; -o json is one object.
func TestRunCheckOnABrokenBackend(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			http.NotFound(w, r)
			return
		}
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer s.Close()
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"check", "-b", s.URL}, envOf(nil), IO{Out: &out, Err: &errb})
	if code != ExitUnreachable {
		t.Errorf("exit %d, want %d", code, ExitUnreachable)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[1], "fail  login") || !strings.Contains(lines[1], "fix: pass --login-path") {
		t.Errorf("stdout =\n%s", out.String())
	}
	if !strings.Contains(errb.String(), "clilogin: error: 1 of 6 checks failed") {
		t.Errorf("stderr = %q", errb.String())
	}

	out.Reset()
	errb.Reset()
	code = Run(context.Background(), []string{"check", "-b", s.URL, "-o", "json"}, envOf(nil), IO{Out: &out, Err: &errb})
	var got struct {
		OK    bool
		Steps []struct{ Step, Status, Detail, Fix string }
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || code != ExitUnreachable || got.OK || len(got.Steps) != 6 || got.Steps[1].Status != "fail" {
		t.Errorf("exit %d, stdout %s (%v)", code, out.String(), err)
	}
}

// check prints what the backend and the IdP say with control characters
// escaped: a redirect's client_id or a discovery issuer cannot drive the
// terminal.
func TestRunCheckEscapesWhatItWasTold(t *testing.T) {
	var idp *httptest.Server
	idp = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"issuer":"x\u001b]0;PWNED\u0007y","authorization_endpoint":"` + idp.URL + `/auth"}`))
	}))
	defer idp.Close()
	var be *httptest.Server
	be = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			http.Redirect(w, r, idp.URL+"/auth?client_id=%1b%5b31mRED&response_type=code&redirect_uri="+be.URL+"/callback", http.StatusFound)
			return
		}
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer be.Close()
	var out, errb bytes.Buffer
	Run(context.Background(), []string{"check", "-b", be.URL}, envOf(nil), IO{Out: &out, Err: &errb})
	if strings.ContainsAny(out.String()+errb.String(), "\x1b\x07") {
		t.Errorf("a control character reached the terminal:\n%q", out.String()+errb.String())
	}
	if !strings.Contains(out.String(), `\x1b[31mRED`) {
		t.Errorf("the client_id is not shown escaped:\n%s", out.String())
	}
}

// check -o json escapes what it was told as text mode does: JSON itself
// leaves C1 controls, DEL and bidirectional overrides raw.
func TestRunCheckJSONEscapesWhatItWasTold(t *testing.T) {
	var be *httptest.Server
	be = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			http.Redirect(w, r, "http://127.0.0.1:1/auth?client_id=%c2%9b31m%7fevil%e2%80%aegnp.exe&response_type=code&redirect_uri="+be.URL+"/callback", http.StatusFound)
			return
		}
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer be.Close()
	var out, errb bytes.Buffer
	Run(context.Background(), []string{"check", "-b", be.URL, "-o", "json"}, envOf(nil), IO{Out: &out, Err: &errb})
	if strings.ContainsAny(out.String()+errb.String(), "\u009b\u007f\u202e") {
		t.Errorf("a control character reached the terminal:\n%q", out.String()+errb.String())
	}
	var got struct {
		Steps []struct{ Step, Detail string }
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || len(got.Steps) < 2 || !strings.Contains(got.Steps[1].Detail, `\u009b31m\x7fevil\u202egnp.exe`) {
		t.Errorf("the client_id is not shown escaped (%v):\n%s", err, out.String())
	}
}
