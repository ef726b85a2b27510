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

// noDiscovery is an IdP on localhost that answers, but has no discovery
// document.
func noDiscovery(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(s.Close)
	return strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
}

// newBackend is a backend whose login redirects to the IdP with redirect_uri
// at callback; login, token and whoami override the routes.
func newBackend(t *testing.T, idpURL, callback string, routes map[string]http.HandlerFunc) *url.URL {
	t.Helper()
	return newBackendQuery(t, idpURL, callback, routes, nil)
}

// newBackendQuery is newBackend whose authorization request's query is
// edited by query.
func newBackendQuery(t *testing.T, idpURL, callback string, routes map[string]http.HandlerFunc, query func(url.Values)) *url.URL {
	t.Helper()
	var self string
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/auth/start", http.StatusFound) // one hop within the backend
	})
	mux.HandleFunc("/auth/start", func(w http.ResponseWriter, r *http.Request) {
		q := url.Values{"client_id": {"app"}, "response_type": {"code"}, "redirect_uri": {self + callback}, "state": {"s3cr3tstate"}}
		if query != nil {
			query(q)
		}
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
		query    func(url.Values) // edits the authorization request
		idp      func(*testing.T) string
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
		// The two rows below reach the lines that show the authorization
		// URL: its state must not be in them.
		{name: "IdP without a discovery document", callback: "/callback", idp: noDiscovery,
			want:     "backend=ok login=ok idp=warn callback=ok token=ok whoami=ok",
			wantText: []string{"no OpenID Connect discovery document was found under http://localhost:", "/oidc/auth?"}},
		{name: "login redirects to something that is not an authorization request", callback: "/callback",
			query:    func(q url.Values) { q.Del("client_id") },
			want:     "backend=ok login=warn idp=ok callback=ok token=ok whoami=ok",
			wantText: []string{"does not look like an OAuth authorization request", "/oidc/auth?"}},
		{name: "login redirects within the backend more than 5 times", callback: "/callback",
			routes: map[string]http.HandlerFunc{"/login": func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/login", http.StatusFound)
			}},
			want:     "backend=ok login=fail idp=skip callback=skip token=ok whoami=ok",
			wantText: []string{"redirects within the backend more than 5 times"}},
		{name: "no redirect_uri", callback: "/callback", query: func(q url.Values) { q.Del("redirect_uri") },
			want:     "backend=ok login=ok idp=ok callback=warn token=ok whoami=ok",
			wantText: []string{"has no redirect_uri", "make sure its path is --callback-path"}},
		{name: "relative redirect_uri", callback: "/callback", query: func(q url.Values) { q.Set("redirect_uri", "/callback") },
			want:     "backend=ok login=ok idp=ok callback=fail token=ok whoami=ok",
			wantText: []string{`the redirect_uri "/callback" is not an absolute URL`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newIdP := idp
			if tt.idp != nil {
				newIdP = tt.idp
			}
			c := cfg(newBackendQuery(t, newIdP(t), tt.callback, tt.routes, tt.query))
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

// TestCheckUnderABasePath: a backend under a base path is checked at its
// paths under it, and its redirect_uri is compared with the base path and
// --callback-path.
func TestCheckUnderABasePath(t *testing.T) {
	for _, tt := range []struct {
		name, callback, want, text string
	}{
		{"callback under the base path", "/app/callback", "backend=ok login=ok idp=ok callback=ok token=ok whoami=ok", "matches --callback-path /callback"},
		{"callback outside the base path", "/callback", "backend=ok login=ok idp=ok callback=fail token=ok whoami=ok", "pass --backend http://127.0.0.1:"},
		{"callback at another path under the base", "/app/oauth2/cb", "backend=ok login=ok idp=ok callback=fail token=ok whoami=ok", "pass --callback-path /oauth2/cb"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var asked []string
			inner := newBackend(t, idp(t), tt.callback, nil)
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				asked = append(asked, r.URL.Path)
				if !strings.HasPrefix(r.URL.Path, "/app/") {
					http.NotFound(w, r)
					return
				}
				// the inner backend's routes, under /app; its redirects are made relative to /app
				req, _ := http.NewRequestWithContext(r.Context(), r.Method, inner.String()+strings.TrimPrefix(r.URL.Path, "/app")+"?"+r.URL.RawQuery, nil)
				resp, err := http.DefaultTransport.RoundTrip(req)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadGateway)
					return
				}
				defer resp.Body.Close()
				loc := resp.Header.Get("Location")
				if strings.HasPrefix(loc, "/") {
					loc = "/app" + loc
				}
				loc = strings.Replace(loc, url.QueryEscape(inner.String()), url.QueryEscape("http://"+r.Host), 1)
				if loc != "" {
					w.Header().Set("Location", loc)
				}
				w.WriteHeader(resp.StatusCode)
			}))
			t.Cleanup(s.Close)
			u, _ := url.Parse(s.URL + "/app")
			steps := check.Run(context.Background(), cfg(u))
			if got := statuses(steps); got != tt.want {
				t.Errorf("steps = %s\nwant    %s\n%+v", got, tt.want, steps)
			}
			var all strings.Builder
			for _, st := range steps {
				all.WriteString(st.Detail + " " + st.Fix + "\n")
			}
			if !strings.Contains(all.String(), tt.text) {
				t.Errorf("output lacks %q:\n%s", tt.text, all.String())
			}
			if cb := steps[3]; cb.Status == check.Fail && cb.Fix == "pass --callback-path /callback" {
				t.Errorf("the fix is the --callback-path already given: %s", cb.Fix)
			}
			for _, p := range asked {
				if p != "/app/" && !strings.HasPrefix(p, "/app/") {
					t.Errorf("check asked %s, outside the base path /app", p)
				}
			}
		})
	}
}
