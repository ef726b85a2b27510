package browser

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/marker"
)

// corpFlow is a backend at app.corp.test and an IdP at idp.corp.test on
// the same port (the test browser maps *.test to 127.0.0.1). The IdP sets
// its session for the parent domain, SiteMinder style, unless the browser
// already sends it.
func corpFlow(t *testing.T, idpSession string) (backendURL string) {
	t.Helper()
	var port string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.Host)
		switch {
		case host == "app.corp.test" && r.URL.Path == "/login":
			http.Redirect(w, r, "http://idp.corp.test:"+port+"/authorize", http.StatusFound)
		case host == "app.corp.test" && r.URL.Path == "/callback":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "backend-sid-0472", Path: "/", HttpOnly: true})
			fmt.Fprint(w, "ok")
		case host == "idp.corp.test" && r.URL.Path == "/authorize":
			if _, err := r.Cookie("SMSESSION"); err != nil {
				http.SetCookie(w, &http.Cookie{Name: "SMSESSION", Value: idpSession, Domain: "corp.test", Path: "/", HttpOnly: true})
			}
			http.Redirect(w, r, "http://app.corp.test:"+port+"/callback?code=c", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	_, port, _ = net.SplitHostPort(srv.Listener.Addr().String())
	return "http://app.corp.test:" + port
}

// An IdP's session cookie for the parent domain (Domain=corp.test, set by
// idp.corp.test) is sent by the browser to the backend app.corp.test on the
// same port, but the backend did not set it: it is the IdP's session, not a
// backend cookie. The rule is the replay's: a cookie belongs to the host
// that set it. The same holds for it restored from the cache.
func TestIdPParentDomainCookieIsNotTheBackends(t *testing.T) {
	needBrowser(t)
	const value = "idp-secret-0471"
	for _, restored := range []bool{false, true} {
		t.Run(fmt.Sprintf("restored=%v", restored), func(t *testing.T) {
			be := corpFlow(t, value)
			u, _ := url.Parse(be)
			c := Config{Remote: devtools, Headless: true, Backend: &backend.Backend{URL: u}, LoginPath: "/login", CallbackPath: "/callback",
				Marker: marker.Marker{Kind: "text", Value: "ok"}, CookieURLs: []string{be + "/"}, Deadline: time.Now().Add(20 * time.Second)}
			if restored {
				c.IdPSession = []cookies.Cookie{{Name: "SMSESSION", Value: value, Domain: "corp.test", Path: "/", HTTPOnly: true}}
			}
			res, err := Login(t.Context(), c)
			if err != nil {
				t.Fatalf("Login: %v", err)
			}
			res.Wait()
			var names []string
			for _, k := range res.Cookies {
				names = append(names, k.Name)
			}
			if slices.Contains(names, "SMSESSION") || !slices.Contains(names, "sid") {
				t.Errorf("the backend's cookies are %q, want sid and not the IdP's SMSESSION", names)
			}
			var session []string
			for _, k := range res.IdPSession {
				session = append(session, k.Name+"@"+k.Domain)
			}
			if !slices.Contains(session, "SMSESSION@corp.test") || slices.ContainsFunc(session, func(s string) bool { return strings.HasPrefix(s, "sid@") }) {
				t.Errorf("the IdP's session is %q, want SMSESSION@corp.test and no backend cookie", session)
			}
		})
	}
}
