package replay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/marker"
)

// chain is an IdP on localhost and a backend on 127.0.0.1 that do the
// seed's login as redirects: /login → IdP /authorize → /callback → "ok".
type chain struct {
	idp, backend *httptest.Server
	idpHost      string // localhost:PORT
	// behaviour
	idpPage       string // non-empty: /authorize answers this page instead of redirecting
	callbackCode  int
	loop          bool
	httpElsewhere bool
	routes        map[string]http.HandlerFunc // backend paths answered otherwise
	sawSession    atomic.Int32                // /authorize requests that carried the IdP session
	backendSawIdP atomic.Int32                // backend requests that carried an IdP cookie
}

func newChain(t *testing.T) *chain {
	c := &chain{callbackCode: 200}
	c.idp = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/loop" {
			http.Redirect(w, r, "/loop", http.StatusFound)
			return
		}
		if k, err := r.Cookie("idp_session"); err != nil || k.Value != "alive" {
			fmt.Fprint(w, `<form><input name=login><input type=password name=password></form>`)
			return
		}
		c.sawSession.Add(1)
		http.SetCookie(w, &http.Cookie{Name: "idp_session", Value: "alive", Path: "/"}) // refreshed, session-only
		switch {
		case c.idpPage != "":
			fmt.Fprint(w, c.idpPage)
		case c.loop:
			http.Redirect(w, r, "/loop", http.StatusFound)
		case c.httpElsewhere:
			http.Redirect(w, r, "http://example.invalid/callback", http.StatusFound)
		default:
			http.Redirect(w, r, c.backend.URL+"/callback?code=c0de&state="+r.URL.Query().Get("state"), http.StatusFound)
		}
	}))
	t.Cleanup(c.idp.Close)
	u, _ := url.Parse(c.idp.URL)
	c.idpHost = "localhost:" + u.Port()
	c.backend = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := r.Cookie("idp_session"); err == nil {
			c.backendSawIdP.Add(1)
		}
		if h, ok := c.routes[r.URL.Path]; ok {
			h(w, r)
			return
		}
		switch r.URL.Path {
		case "/login":
			http.SetCookie(w, &http.Cookie{Name: "state", Value: "s1", Path: "/", HttpOnly: true})
			http.Redirect(w, r, "http://"+c.idpHost+"/authorize?state=s1", http.StatusFound)
		case "/callback":
			if k, err := r.Cookie("state"); err != nil || k.Value != r.URL.Query().Get("state") {
				http.Error(w, "state mismatch", http.StatusBadRequest)
				return
			}
			if c.callbackCode != 200 {
				http.Error(w, "boom", c.callbackCode)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "backend-s3cr3t", Path: "/", HttpOnly: true})
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "ok")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(c.backend.Close)
	return c
}

func (c *chain) config(session string) Config {
	b, _ := url.Parse(c.backend.URL)
	m, _ := marker.ParseMarker("text:ok")
	return Config{Backend: &backend.Backend{URL: b}, LoginPath: "/login", CallbackPath: "/callback", Marker: m,
		IdPSession: []cookies.Cookie{{Name: "idp_session", Value: session, Domain: "localhost", HostOnly: true, Path: "/"}}}
}

func TestReplayFollowsTheChainWithTheIdPSession(t *testing.T) {
	c := newChain(t)
	res, err := Run(context.Background(), c.config("alive"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Backend) != 2 || res.Backend[0].Domain != "127.0.0.1" {
		t.Errorf("backend cookies = %+v, want state and session of 127.0.0.1", res.Backend)
	}
	var got []string
	for _, k := range res.Backend {
		got = append(got, k.Name+"="+k.Value)
	}
	if !strings.Contains(strings.Join(got, " "), "session=backend-s3cr3t") {
		t.Errorf("no backend session cookie: %q", got)
	}
	if len(res.IdPSession) != 1 || res.IdPSession[0].Name != "idp_session" || res.IdPSession[0].Domain != "localhost" {
		t.Errorf("IdP session = %+v", res.IdPSession)
	}
	if len(res.Hops) != 3 {
		t.Errorf("hops = %q, want login, authorize, callback", res.Hops)
	}
	for _, h := range res.Hops {
		if strings.Contains(h, "c0de") {
			t.Errorf("a hop shows the code: %s", h)
		}
	}
	if c.sawSession.Load() != 1 {
		t.Error("the IdP did not get its session cookie")
	}
	if c.backendSawIdP.Load() != 0 {
		t.Error("the backend got the IdP's cookie")
	}
}

func TestReplayGivesUpForTheBrowser(t *testing.T) {
	for _, tt := range []struct {
		name    string
		session string
		set     func(c *chain)
		want    string
	}{
		{"the IdP session has ended: its form", "dead", nil, "a sign-in form"},
		{"a consent page", "alive", func(c *chain) { c.idpPage = `<form><button>Allow</button></form>` }, "a form"},
		{"a page that needs JavaScript", "alive", func(c *chain) { c.idpPage = `<script>location="/x"</script>` }, "scripts"},
		{"a callback that refuses", "alive", func(c *chain) { c.callbackCode = 403 }, "403"},
		{"a redirect loop", "alive", func(c *chain) { c.loop = true }, "more than 20 redirects"},
		{"http:// off loopback", "alive", func(c *chain) { c.httpElsewhere = true }, "not loopback; not followed in clear text"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newChain(t)
			if tt.set != nil {
				tt.set(c)
			}
			_, err := Run(context.Background(), c.config(tt.session))
			if !errors.Is(err, ErrFallback) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a fallback saying %q", err, tt.want)
			}
		})
	}
}

func TestReplayCallback5xxIsTheBackendsFault(t *testing.T) {
	c := newChain(t)
	c.callbackCode = 500
	_, err := Run(context.Background(), c.config("alive"))
	if errors.Is(err, ErrFallback) || failure.KindOf(err) != failure.Unreachable {
		t.Fatalf("err = %v (%v), want an unreachable failure, not a fallback", err, failure.KindOf(err))
	}
}

func TestReplayStopsAtTheDeadline(t *testing.T) {
	block := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer block.Close()
	b, _ := url.Parse(block.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := Run(ctx, Config{Backend: &backend.Backend{URL: b}, LoginPath: "/login"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
}

func okPage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, "ok")
}

// TestReplayWithoutCallbackPath: with no --callback-path, the success page
// is any backend page with the marker after the IdP, and a 5xx there is the
// backend's fault.
func TestReplayWithoutCallbackPath(t *testing.T) {
	c := newChain(t)
	cfg := c.config("alive")
	cfg.CallbackPath = ""
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hops) != 3 || len(res.Backend) != 2 {
		t.Errorf("hops %q, backend cookies %+v; want login, authorize, callback and its cookies", res.Hops, res.Backend)
	}
	c.callbackCode = 500
	if _, err := Run(context.Background(), cfg); errors.Is(err, ErrFallback) || failure.KindOf(err) != failure.Unreachable {
		t.Errorf("a 5xx after the IdP: err = %v, want an unreachable failure", err)
	}
}

// TestReplayMarkerBeforeTheIdPIsNotSuccess: a backend page with the marker
// that the chain reaches before any IdP hop (the login page itself, or a
// page the login path redirects to within the backend) is not the success
// page, with or without a callback path: no IdP has vouched for anyone.
func TestReplayMarkerBeforeTheIdPIsNotSuccess(t *testing.T) {
	for _, tt := range []struct {
		name     string
		callback string
		routes   map[string]http.HandlerFunc
	}{
		{"the login page has the marker", "/callback", map[string]http.HandlerFunc{"/login": okPage}},
		{"the login page has the marker, no callback path", "", map[string]http.HandlerFunc{"/login": okPage}},
		{"the login path redirects within the backend to the marker, no callback path", "", map[string]http.HandlerFunc{
			"/login":   func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/welcome", http.StatusFound) },
			"/welcome": okPage,
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newChain(t)
			c.routes = tt.routes
			cfg := c.config("alive")
			cfg.CallbackPath = tt.callback
			res, err := Run(context.Background(), cfg)
			if !errors.Is(err, ErrFallback) || !strings.Contains(err.Error(), "not the success page") {
				t.Fatalf("err = %v (hops %q), want a fallback: not the success page", err, res.Hops)
			}
			if c.sawSession.Load() != 0 {
				t.Error("the IdP was asked")
			}
		})
	}
}

// TestReplayDropsExpiredCookies: a stored IdP cookie that has expired is
// neither sent nor returned.
func TestReplayDropsExpiredCookies(t *testing.T) {
	c := newChain(t)
	var sawOld atomic.Int32
	idp := c.idp.Config.Handler
	c.idp.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := r.Cookie("idp_old"); err == nil {
			sawOld.Add(1)
		}
		idp.ServeHTTP(w, r)
	})
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg := c.config("alive")
	cfg.Now = func() time.Time { return now }
	cfg.IdPSession = append(cfg.IdPSession,
		cookies.Cookie{Name: "idp_old", Value: "stale", Domain: "localhost", HostOnly: true, Path: "/", Expires: now.Add(-time.Minute)},
		cookies.Cookie{Name: "idp_kept", Value: "fresh", Domain: "localhost", HostOnly: true, Path: "/", Expires: now.Add(time.Hour)})
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range append(res.IdPSession, res.Backend...) {
		names = append(names, k.Name)
	}
	got := strings.Join(names, " ")
	if strings.Contains(got, "idp_old") || !strings.Contains(got, "idp_kept") {
		t.Errorf("cookies returned: %s; want idp_kept and not the expired idp_old", got)
	}
	if sawOld.Load() != 0 {
		t.Error("the expired cookie was sent to the IdP")
	}
}

// TestReplayRedirectNowhere: a redirect without a Location, or with one
// that is not a URL or not http(s), is a stop for the browser.
func TestReplayRedirectNowhere(t *testing.T) {
	for _, tt := range []struct {
		name, location, want string
	}{
		{"no Location", "", "redirected nowhere"},
		{"a Location that is not a URL", "http://[::1/cb?code=s3cret", "Location is not a URL"},
		{"a Location that is not http", "ftp://files.example/x", "a redirect to"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newChain(t)
			c.routes = map[string]http.HandlerFunc{"/login": func(w http.ResponseWriter, r *http.Request) {
				if tt.location != "" {
					w.Header()["Location"] = []string{tt.location}
				}
				w.WriteHeader(http.StatusFound)
			}}
			_, err := Run(context.Background(), c.config("alive"))
			if !errors.Is(err, ErrFallback) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("err = %v, want a fallback saying %q, without the code", err, tt.want)
			}
		})
	}
}

// TestReplayBackendAndIdPOnOneHost: with the IdP on the backend's host at
// another port, a cookie belongs to whoever set it: the IdP's session is
// not returned as the backend's, nor the backend's as the IdP's.
func TestReplayBackendAndIdPOnOneHost(t *testing.T) {
	c := newChain(t)
	u, _ := url.Parse(c.idp.URL)
	c.idpHost = u.Host // 127.0.0.1:PORT, as the backend
	cfg := c.config("alive")
	cfg.IdPSession[0].Domain = "127.0.0.1"
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var backendNames, sessionNames []string
	for _, k := range res.Backend {
		backendNames = append(backendNames, k.Name)
	}
	for _, k := range res.IdPSession {
		sessionNames = append(sessionNames, k.Name)
	}
	if got := strings.Join(backendNames, " "); got != "state session" {
		t.Errorf("backend cookies %q, want state session", got)
	}
	if got := strings.Join(sessionNames, " "); got != "idp_session" {
		t.Errorf("IdP session %q, want idp_session", got)
	}
}

// The rule of the browser login holds in the replay too: a cookie belongs
// to the host that set it. An IdP at idp.corp.test that refreshes its
// session for the parent domain (Domain=corp.test, SiteMinder style) on the
// backend's port: the backend app.corp.test is sent it, as a browser would,
// but it stays the IdP's session and never becomes a backend cookie.
func TestParentDomainIdPCookieStaysTheIdPs(t *testing.T) {
	var backendGot atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := strings.Split(r.Host, ":")[0]
		switch {
		case host == "app.corp.test" && r.URL.Path == "/login":
			http.Redirect(w, r, "https://idp.corp.test:"+strings.Split(r.Host, ":")[1]+"/authorize", http.StatusFound)
		case host == "app.corp.test" && r.URL.Path == "/callback":
			if _, err := r.Cookie("SMSESSION"); err == nil {
				backendGot.Add(1)
			}
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "backend-sid", Path: "/", HttpOnly: true})
			fmt.Fprint(w, "ok")
		case host == "idp.corp.test" && r.URL.Path == "/authorize":
			if _, err := r.Cookie("SMSESSION"); err != nil {
				fmt.Fprint(w, `<form><input type=password name=password></form>`)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: "SMSESSION", Value: "refreshed", Domain: "corp.test", Path: "/", HttpOnly: true})
			http.Redirect(w, r, "https://app.corp.test:"+strings.Split(r.Host, ":")[1]+"/callback?code=c", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	// Every name reaches the test server, as *.corp.test would a real one;
	// its certificate is for example.com.
	dialer := &net.Dialer{}
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.ServerName = "example.com"
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, srv.Listener.Addr().String())
	}
	client := &http.Client{Transport: tr}
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	be, _ := url.Parse(fmt.Sprintf("https://app.corp.test:%d", port))
	res, err := Run(context.Background(), Config{Backend: &backend.Backend{URL: be}, LoginPath: "/login", CallbackPath: "/callback",
		Marker: marker.Marker{Kind: "text", Value: "ok"}, Client: client,
		IdPSession: []cookies.Cookie{{Name: "SMSESSION", Value: "stored", Domain: "corp.test", Path: "/", HTTPOnly: true}}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var backendNames, session []string
	for _, k := range res.Backend {
		backendNames = append(backendNames, k.Name)
	}
	for _, k := range res.IdPSession {
		session = append(session, k.Name+"="+k.Value+"@"+k.Domain)
	}
	if strings.Join(backendNames, ",") != "sid" {
		t.Errorf("the backend's cookies are %q, want sid alone", backendNames)
	}
	if strings.Join(session, ",") != "SMSESSION=refreshed@corp.test" {
		t.Errorf("the IdP's session is %q, want the refreshed SMSESSION", session)
	}
	if backendGot.Load() != 1 {
		t.Errorf("the backend got the parent-domain cookie %d times; a browser sends it (RFC 6265), so does the replay", backendGot.Load())
	}
}
