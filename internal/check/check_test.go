package check_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/check"
)

// idp is an httptest OpenID Connect provider's discovery document on
// localhost (the backends are on 127.0.0.1).
func idp(t *testing.T) string {
	t.Helper()
	var base string
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oidc/.well-known/openid-configuration" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"issuer":%q,"authorization_endpoint":%q}`, base+"/oidc", base+"/oidc/auth")
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(s.Close)
	base = strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
	return base
}

// newBackend is a backend whose login redirects to the IdP with redirect_uri
// at callback; login, token and whoami override the routes.
func newBackend(t *testing.T, idpURL, callback string, routes map[string]http.HandlerFunc) *url.URL {
	t.Helper()
	var self string
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/auth/start", http.StatusFound) // one hop within the backend
	})
	mux.HandleFunc("/auth/start", func(w http.ResponseWriter, r *http.Request) {
		q := url.Values{"client_id": {"app"}, "response_type": {"code"}, "redirect_uri": {self + callback}, "state": {"s3cr3tstate"}}
		http.Redirect(w, r, idpURL+"/oidc/auth?"+q.Encode(), http.StatusFound)
	})
	mux.HandleFunc("/user/token", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no session", http.StatusUnauthorized) })
	mux.HandleFunc("/user/id", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no token", http.StatusUnauthorized) })
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := routes[r.URL.Path]; ok {
			h(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	self = s.URL
	u, _ := url.Parse(s.URL)
	return u
}

func cfg(u *url.URL) check.Config {
	return check.Config{Backend: &backend.Backend{URL: u}, LoginPath: "/login", CallbackPath: "/callback", TokenPath: "/user/token", WhoamiPath: "/user/id"}
}

func statuses(steps []check.Step) string {
	var b []string
	for _, s := range steps {
		b = append(b, s.Name+"="+string(s.Status))
	}
	return strings.Join(b, " ")
}

func TestCheck(t *testing.T) {
	page := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><a href="/oauth/start">Sign in with SSO</a></html>`)
	}
	tests := []struct {
		name     string
		callback string
		routes   map[string]http.HandlerFunc
		edit     func(*check.Config)
		want     string // statuses
		wantText []string
	}{
		{name: "good backend", callback: "/callback",
			want:     "backend=ok login=ok idp=ok callback=ok token=ok whoami=ok",
			wantText: []string{"redirects to the IdP at localhost:", "discovery document found", "matches --callback-path /callback"}},
		{name: "no login path", callback: "/callback", routes: map[string]http.HandlerFunc{"/login": http.NotFound},
			want:     "backend=ok login=fail idp=skip callback=skip token=ok whoami=ok",
			wantText: []string{"answered 404", "pass --login-path"}},
		{name: "login path that does not redirect", callback: "/callback", routes: map[string]http.HandlerFunc{"/login": page},
			want:     "backend=ok login=fail idp=skip callback=skip token=ok whoami=ok",
			wantText: []string{"200 OK (text/html), not a redirect to the IdP", "not a page with a sign-in button"}},
		{name: "callback path mismatch", callback: "/oauth2/callback",
			want:     "backend=ok login=ok idp=ok callback=fail token=ok whoami=ok",
			wantText: []string{"path is /oauth2/callback, not --callback-path /callback", "pass --callback-path /oauth2/callback"}},
		{name: "callback on another host", callback: "/callback",
			edit: func(c *check.Config) {
				u := *c.Backend
				u.Host = strings.Replace(u.Host, "127.0.0.1", "localhost", 1)
				c.Backend = &u
			},
			want:     "backend=ok login=ok idp=ok callback=fail token=ok whoami=ok",
			wantText: []string{"the session cookie would belong to another site", "pass --backend http://127.0.0.1:"}},
		{name: "token path missing", callback: "/callback", routes: map[string]http.HandlerFunc{"/user/token": http.NotFound},
			want: "backend=ok login=ok idp=ok callback=ok token=fail whoami=ok", wantText: []string{`--token-path ""`}},
		{name: "token path that answers without a session", callback: "/callback",
			routes: map[string]http.HandlerFunc{"/user/token": func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "eyJx.y.z") }},
			want:   "backend=ok login=ok idp=ok callback=ok token=warn whoami=ok"},
		{name: "whoami answers 500", callback: "/callback",
			routes: map[string]http.HandlerFunc{"/user/id": func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }},
			want:   "backend=ok login=ok idp=ok callback=ok token=ok whoami=fail"},
		{name: "paths skipped", callback: "/callback", edit: func(c *check.Config) { c.TokenPath = "" },
			want: "backend=ok login=ok idp=ok callback=ok token=skip whoami=skip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg(newBackend(t, idp(t), tt.callback, tt.routes))
			if tt.edit != nil {
				tt.edit(&c)
			}
			steps := check.Run(context.Background(), c)
			if got := statuses(steps); got != tt.want {
				t.Errorf("steps = %s\nwant    %s\n%+v", got, tt.want, steps)
			}
			if check.Failed(steps) != strings.Contains(tt.want, "fail") {
				t.Errorf("Failed = %v", check.Failed(steps))
			}
			var all strings.Builder
			for _, s := range steps {
				all.WriteString(s.Detail + " " + s.Fix + "\n")
				if s.Status == check.Fail && s.Fix == "" {
					t.Errorf("step %s failed without a fix: %s", s.Name, s.Detail)
				}
			}
			for _, w := range tt.wantText {
				if !strings.Contains(all.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, all.String())
				}
			}
			if strings.Contains(all.String(), "s3cr3tstate") {
				t.Errorf("output shows the state:\n%s", all.String())
			}
		})
	}
}

func TestCheckBackendDown(t *testing.T) {
	s := httptest.NewServer(http.NotFoundHandler())
	s.Close()
	u, _ := url.Parse(s.URL)
	steps := check.Run(context.Background(), cfg(u))
	if got := statuses(steps); got != "backend=fail login=skip idp=skip callback=skip token=skip whoami=skip" {
		t.Errorf("steps = %s", got)
	}
	if !strings.Contains(steps[0].Fix, "--backend") {
		t.Errorf("fix = %q", steps[0].Fix)
	}
}

func TestCheckIdPDown(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	c := cfg(newBackend(t, strings.Replace(down.URL, "127.0.0.1", "localhost", 1), "/callback", nil))
	steps := check.Run(context.Background(), c)
	if got := statuses(steps); got != "backend=ok login=ok idp=fail callback=ok token=ok whoami=ok" {
		t.Errorf("steps = %s\n%+v", got, steps)
	}
}

// TestCheckTimeoutBoundsTheWholeCheck: --timeout is the check's, not each
// request's: an IdP that answers each of many discovery guesses slowly, but
// within the time, is not asked again and again after the time ran out.
func TestCheckTimeoutBoundsTheWholeCheck(t *testing.T) {
	var asked atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		select { // slow, but within the time of one request
		case <-time.After(100 * time.Millisecond):
		case <-r.Context().Done():
		}
		http.NotFound(w, r)
	}))
	defer slow.Close()
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			http.Redirect(w, r, slow.URL+strings.Repeat("/a", 30)+"?client_id=app&response_type=code", http.StatusFound)
			return
		}
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer be.Close()
	u, _ := url.Parse(be.URL)
	c := cfg(u)
	c.Timeout = 300 * time.Millisecond
	steps := check.Run(context.Background(), c)
	if n := asked.Load(); n > 10 {
		t.Errorf("the IdP was asked %d times after a --timeout of %s for the whole check", n, c.Timeout)
	}
	if !strings.Contains(fmt.Sprint(steps), "--timeout") {
		t.Errorf("no step says the --timeout ran out: %+v", steps)
	}
}
