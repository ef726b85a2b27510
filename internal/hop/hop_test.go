package hop

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNoFollowHandsTheRedirectBackAndLeavesTheClientAlone(t *testing.T) {
	followed := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/next" {
			followed = true
			return
		}
		http.Redirect(w, r, "/next?state=s3cret", http.StatusFound)
	}))
	defer srv.Close()
	base := &http.Client{}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/", nil)
	resp, _, err := Do(NoFollow(base), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusFound || followed {
		t.Errorf("status %d, followed %v; want the 302 handed back", resp.StatusCode, followed)
	}
	if base.CheckRedirect != nil {
		t.Error("NoFollow changed the client it was given")
	}
	if NoFollow(nil).Transport == nil {
		t.Error("NoFollow(nil) has no transport")
	}
}

func TestDoReadsAtMostMaxBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("a", 64<<10))
		for i := 0; i < 2*MaxBody/len(chunk); i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
	_, body, err := Do(NoFollow(nil), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) != MaxBody {
		t.Errorf("read %d bytes, want %d", len(body), MaxBody)
	}
}

func TestDoLeavesTheURLOutOfATransportError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	target := srv.URL + "/cb?code=s3cret"
	srv.Close()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, target, nil)
	_, _, err := Do(NoFollow(nil), req)
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "/cb") {
		t.Errorf("the error says the URL: %v", err)
	}
	plain := errors.New("plain")
	if Cause(plain) != plain {
		t.Error("Cause changed an error that is not a *url.Error")
	}
}

func TestHTML(t *testing.T) {
	for _, c := range []struct {
		ct, body string
		want     bool
	}{
		{"text/html; charset=utf-8", "  <p>sign in</p>", true},
		{"text/html", "Unauthorized", false}, // Express's res.send("Unauthorized")
		{"text/plain", "<!DOCTYPE html><html>", true},
		{"", "<html><body>", true},
		{"application/json", `{"token":"x"}`, false},
		{"application/xml", "<token>x</token>", false},
	} {
		if got := HTML(c.ct, []byte(c.body)); got != c.want {
			t.Errorf("HTML(%q, %q) = %v, want %v", c.ct, c.body, got, c.want)
		}
	}
}

func TestExcerpt(t *testing.T) {
	long := strings.Repeat("é", ExcerptRunes+10)
	for _, c := range []struct {
		name, ct, body, want string
	}{
		{"html page", "text/html; charset=utf-8", "<h1>denied</h1>", ""},
		{"empty", "text/plain", " \n ", ""},
		{"one line", "application/json", "{\"error\":\n  \"expired\"}", `: {"error": "expired"}`},
		{"secret", "text/plain", "bad token s3cret-value", ": bad token REDACTED"},
		{"control", "text/plain", "no\x1b]0;owned\x07", `: no\x1b]0;owned\x07`},
		{"long", "text/plain", long, ": " + long[:2*ExcerptRunes] + "…"},
	} {
		if got := Excerpt(c.ct, []byte(c.body), "s3cret-value"); got != c.want {
			t.Errorf("%s: Excerpt = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestDoLeavesABadLocationOut: net/http fails on a Location that is not a
// URL, quoting it; Do says what went wrong without it.
func TestDoLeavesABadLocationOut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Location"] = []string{"http://[::1/cb?code=s3cret"}
		w.WriteHeader(http.StatusFound)
	}))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
	_, _, err := Do(NoFollow(nil), req)
	if !errors.Is(err, ErrBadLocation) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("err = %v, want ErrBadLocation without the Location", err)
	}
}
