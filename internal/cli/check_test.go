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
		if r.URL.Path == "/" {
			w.Write([]byte("home"))
			return
		}
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer s.Close()
	s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			http.NotFound(w, r)
			return
		}
		http.Error(w, "no", http.StatusUnauthorized)
	})
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
