package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/clilogin/clilogin/internal/api"
	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/failure"
)

// Values that must never show in an error message or hint.
const (
	cookieValue = "CookieSecretValue123"
	tokenValue  = "eyTokenSecretValue456"
	password    = "BackendPassw0rd789"
	stateValue  = "StateSecretValue321"
)

const (
	tokenPath  = "/user/token"
	whoamiPath = "/user/id"
)

// hit is one request a test server received.
type hit struct {
	Host, Path, Cookie, Auth string
}

// server is an httptest server that records the requests it receives.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	hits []hit
}

// canned answers every request with the same status, headers and body.
func canned(status int, contentType, location, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		if location != "" {
			w.Header().Set("Location", location)
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits = append(s.hits, hit{Host: r.Host, Path: r.URL.Path, Cookie: r.Header.Get("Cookie"), Auth: r.Header.Get("Authorization")})
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) Hits() []hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]hit(nil), s.hits...)
}

// asLocalhost is the server's URL with the host name localhost: the same
// listener, reached as another origin.
func asLocalhost(s *server) string { return strings.Replace(s.URL, "127.0.0.1", "localhost", 1) }

func mustURL(t *testing.T, s string) *backend.Backend {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return &backend.Backend{URL: u}
}

func newClient(t *testing.T, backend string) *api.Client {
	t.Helper()
	return api.New(mustURL(t, backend), 5*time.Second)
}

func session(host string) []cookies.Cookie {
	return []cookies.Cookie{{Name: "session", Value: cookieValue, Domain: host, HostOnly: true, Path: "/"}}
}

// checkNoSecrets fails when err's message or hint shows a secret.
func checkNoSecrets(t *testing.T, err error) {
	t.Helper()
	for _, secret := range []string{cookieValue, tokenValue, password, stateValue} {
		if strings.Contains(err.Error(), secret) || strings.Contains(failure.HintOf(err), secret) {
			t.Errorf("error %q (hint %q) shows the secret %q", err, failure.HintOf(err), secret)
		}
	}
}

func kindName(k failure.Kind) string {
	return [...]string{"Internal", "Usage", "Timeout", "Refused", "Unreachable", "Browser", "Interrupted"}[k]
}

func checkKind(t *testing.T, err error, want failure.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want a %s error", kindName(want))
	}
	if got := failure.KindOf(err); got != want {
		t.Errorf("KindOf(%q) = %s, want %s", err, kindName(got), kindName(want))
	}
	if want != failure.Interrupted && failure.HintOf(err) == "" {
		t.Errorf("error %q has no hint", err)
	}
	checkNoSecrets(t, err)
}

func TestURLJoinsTheBackendBasePathAndThePath(t *testing.T) {
	tests := []struct {
		backend, path, want string
	}{
		{"http://127.0.0.1:8080", "/user/token", "http://127.0.0.1:8080/user/token"},
		{"http://127.0.0.1:8080/", "/user/token", "http://127.0.0.1:8080/user/token"},
		{"https://api.example.com/base", "/user/token", "https://api.example.com/base/user/token"},
		{"https://api.example.com/base/", "user/token", "https://api.example.com/base/user/token"},
		{"https://api.example.com/base?x=1#frag", "/t", "https://api.example.com/base/t"},
		{"https://api.example.com", "/", "https://api.example.com/"},
	}
	for _, tt := range tests {
		t.Run(tt.backend+"+"+tt.path, func(t *testing.T) {
			if got := newClient(t, tt.backend).URL(tt.path); got != tt.want {
				t.Errorf("URL(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestTokenSendsTheBackendsCookiesOnlyAndNoAuthorization(t *testing.T) {
	backend := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/user/token" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "  \n"+tokenValue+"\r\n")
	})
	cs := []cookies.Cookie{
		{Name: "session", Value: cookieValue, Domain: "127.0.0.1", HostOnly: true, Path: "/"},
		{Name: "scoped", Value: "scopedvalue", Domain: "127.0.0.1", HostOnly: true, Path: "/api"},
		{Name: "elsewhere", Value: "otherpathvalue", Domain: "127.0.0.1", HostOnly: true, Path: "/other"},
		{Name: "expired", Value: "expiredvalue", Domain: "127.0.0.1", HostOnly: true, Path: "/", Expires: time.Now().Add(-time.Hour)},
		{Name: "localhost", Value: "localhostvalue", Domain: "localhost", HostOnly: true, Path: "/"},
		{Name: "idp", Value: "idpvalue", Domain: "idp.example.com", Path: "/"},
	}
	tok, err := newClient(t, backend.URL+"/api").Token(context.Background(), tokenPath, cs)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if tok != tokenValue {
		t.Errorf("Token = %q, want %q", tok, tokenValue)
	}
	hits := backend.Hits()
	if len(hits) != 1 {
		t.Fatalf("backend got %d requests, want 1: %+v", len(hits), hits)
	}
	got := hits[0].Cookie
	for _, want := range []string{"session=" + cookieValue, "scoped=scopedvalue"} {
		if !strings.Contains(got, want) {
			t.Errorf("Cookie header %q lacks %q", got, want)
		}
	}
	for _, not := range []string{"otherpathvalue", "expiredvalue", "localhostvalue", "idpvalue"} {
		if strings.Contains(got, not) {
			t.Errorf("Cookie header %q has %q, which does not belong to this request", got, not)
		}
	}
	if hits[0].Auth != "" {
		t.Errorf("token request sent Authorization %q, want none", hits[0].Auth)
	}
}

func TestTokenWithoutACookieForTheBackendIsRefusedBeforeAnyRequest(t *testing.T) {
	backend := newServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tokenValue) })
	// The cookies of the same machine reached under another name are not
	// the backend's.
	_, err := newClient(t, backend.URL).Token(context.Background(), tokenPath, session("localhost"))
	checkKind(t, err, failure.Refused)
	if n := len(backend.Hits()); n != 0 {
		t.Errorf("backend got %d requests, want none", n)
	}
}

func TestTokenAnswersAreClassified(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		location    string
		body        string
		want        failure.Kind
		wantMsg     []string
		notMsg      []string
	}{
		{name: "401 refuses the session", status: 401, body: "session expired", want: failure.Refused,
			wantMsg: []string{"refused the session cookies", "401", "session expired"}},
		{name: "403 refuses the session", status: 403, want: failure.Refused, wantMsg: []string{"403"}},
		{name: "404 means a wrong path", status: 404, body: "nope", want: failure.Unreachable, wantMsg: []string{tokenPath, "404"}},
		{name: "500 with a text body", status: 500, body: "database down", want: failure.Unreachable,
			wantMsg: []string{"500", "database down"}},
		{name: "502 with an HTML body", status: 502, contentType: "text/html; charset=utf-8", body: "<html><body>Upstream exploded</body></html>",
			want: failure.Unreachable, wantMsg: []string{"502"}, notMsg: []string{"<", "Upstream exploded"}},
		{name: "empty body", status: 200, contentType: "text/plain", body: "", want: failure.Unreachable, wantMsg: []string{"empty"}},
		{name: "white space only", status: 200, contentType: "text/plain", body: " \r\n\t ", want: failure.Unreachable, wantMsg: []string{"empty"}},
		{name: "204 no content", status: 204, want: failure.Unreachable, wantMsg: []string{"empty"}},
		{name: "text with spaces is not a token", status: 200, contentType: "text/plain", body: "Bearer " + tokenValue,
			want: failure.Unreachable, wantMsg: []string{"not a token"}},
		{name: "HTML page", status: 200, contentType: "text/html", body: "<!doctype html><p>Sign in</p>",
			want: failure.Unreachable, wantMsg: []string{"HTML page"}},
		{name: "HTML page, upper case media type", status: 200, contentType: "TEXT/HTML; Charset=UTF-8", body: "<p>x</p>",
			want: failure.Unreachable, wantMsg: []string{"HTML page"}},
		{name: "body over 1 MiB", status: 200, contentType: "text/plain", body: strings.Repeat("a", 1<<20+1),
			want: failure.Unreachable, wantMsg: []string{"larger than"}},
		{name: "redirect to the IdP means the session was not accepted", status: 302,
			location: "https://idp.example.com/authorize?client_id=cli&state=" + stateValue + "#" + stateValue,
			want:     failure.Refused, wantMsg: []string{"https://idp.example.com/authorize", "client_id=cli", "session not accepted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backend := newServer(t, canned(tt.status, tt.contentType, tt.location, tt.body))
			tok, err := newClient(t, backend.URL).Token(context.Background(), tokenPath, session("127.0.0.1"))
			if tok != "" {
				t.Errorf("Token returned %q with its error", tok)
			}
			checkKind(t, err, tt.want)
			for _, want := range tt.wantMsg {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			for _, not := range tt.notMsg {
				if strings.Contains(err.Error(), not) {
					t.Errorf("error %q should not contain %q", err, not)
				}
			}
			if n := len(backend.Hits()); n != 1 {
				t.Errorf("backend got %d requests, want 1", n)
			}
		})
	}
}

func TestTokenAcceptsAPlainTextTokenWithAnyNonHTMLType(t *testing.T) {
	for _, ct := range []string{"", "text/plain; charset=utf-8", "application/jwt", "application/octet-stream"} {
		name := ct
		if name == "" {
			name = "no Content-Type"
		}
		t.Run(name, func(t *testing.T) {
			backend := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if ct != "" {
					w.Header().Set("Content-Type", ct)
				}
				fmt.Fprint(w, tokenValue+"\n")
			})
			tok, err := newClient(t, backend.URL).Token(context.Background(), tokenPath, session("127.0.0.1"))
			if err != nil || tok != tokenValue {
				t.Errorf("Token = %q, %v; want %q, nil", tok, err, tokenValue)
			}
		})
	}
}

func TestWhoAmISendsTheBearerTokenAndNoCookies(t *testing.T) {
	backend := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/user/id" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, "\n {\"sub\":\"alice\"} \n")
	})
	id, err := newClient(t, backend.URL+"/api/").WhoAmI(context.Background(), whoamiPath, tokenValue)
	if err != nil {
		t.Fatalf("WhoAmI: %v", err)
	}
	if id != "alice" {
		t.Errorf("WhoAmI = %q, want the sub of the JSON object", id)
	}
	hits := backend.Hits()
	if len(hits) != 1 {
		t.Fatalf("backend got %d requests, want 1", len(hits))
	}
	if hits[0].Auth != "Bearer "+tokenValue {
		t.Errorf("Authorization = %q, want %q", hits[0].Auth, "Bearer "+tokenValue)
	}
	if hits[0].Cookie != "" {
		t.Errorf("whoami request sent Cookie %q, want none", hits[0].Cookie)
	}
}

// tokenAndWhoamiBackend answers the token to a request with the session
// cookie, and the identity to a request with the session cookie or the
// bearer token, as backends that accept both do.
func tokenAndWhoamiBackend(t *testing.T) *server {
	return newServer(t, func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Cookie("session")
		hasSession := c != nil && c.Value == cookieValue
		switch r.URL.Path {
		case tokenPath:
			if !hasSession {
				http.Error(w, "no session", http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, tokenValue)
		case whoamiPath:
			if !hasSession && r.Header.Get("Authorization") != "Bearer "+tokenValue {
				http.Error(w, "bad token", http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, "alice")
		default:
			http.NotFound(w, r)
		}
	})
}

func TestWhoAmIAfterTokenSendsNoSessionCookies(t *testing.T) {
	backend := tokenAndWhoamiBackend(t)
	client := newClient(t, backend.URL)
	tok, err := client.Token(context.Background(), tokenPath, session("127.0.0.1"))
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if _, err := client.WhoAmI(context.Background(), whoamiPath, tok); err != nil {
		t.Fatalf("WhoAmI: %v", err)
	}
	hits := backend.Hits()
	if len(hits) != 2 || hits[1].Path != whoamiPath {
		t.Fatalf("backend got %+v, want the token and the whoami request", hits)
	}
	if hits[1].Cookie != "" {
		t.Errorf("the whoami request after Token sent Cookie %q; want the bearer token only", hits[1].Cookie)
	}
}

func TestWhoAmIAfterTokenChecksTheTokenNotTheSession(t *testing.T) {
	backend := tokenAndWhoamiBackend(t)
	client := newClient(t, backend.URL)
	if _, err := client.Token(context.Background(), tokenPath, session("127.0.0.1")); err != nil {
		t.Fatalf("Token: %v", err)
	}
	// A token the backend does not accept must be refused, however good
	// the browser session was.
	id, err := client.WhoAmI(context.Background(), whoamiPath, "not-the-token")
	if err == nil {
		t.Fatalf("WhoAmI with a wrong token = %q, nil; want a Refused error", id)
	}
	checkKind(t, err, failure.Refused)
}

func TestWhoAmIAnswersAreClassified(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		location    string
		body        string
		want        failure.Kind
		wantMsg     []string
	}{
		{name: "401 refuses the token", status: 401, body: "invalid_token", want: failure.Refused,
			wantMsg: []string{"refused the token", "401", "invalid_token"}},
		{name: "403 refuses the token", status: 403, want: failure.Refused, wantMsg: []string{"refused the token", "403"}},
		{name: "404 means a wrong path", status: 404, want: failure.Unreachable, wantMsg: []string{whoamiPath, "404"}},
		{name: "503", status: 503, body: "maintenance", want: failure.Unreachable, wantMsg: []string{"503", "maintenance"}},
		{name: "empty body", status: 200, contentType: "text/plain", want: failure.Unreachable, wantMsg: []string{"empty"}},
		{name: "HTML page", status: 200, contentType: "text/html", body: "<html>Sign in</html>", want: failure.Unreachable,
			wantMsg: []string{"HTML page"}},
		{name: "redirect elsewhere is not followed", status: 302,
			location: "https://idp.example.com/login?state=" + stateValue + "&access_token=" + tokenValue,
			want:     failure.Unreachable, wantMsg: []string{"not followed", "https://idp.example.com/login"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backend := newServer(t, canned(tt.status, tt.contentType, tt.location, tt.body))
			id, err := newClient(t, backend.URL).WhoAmI(context.Background(), whoamiPath, tokenValue)
			if id != "" {
				t.Errorf("WhoAmI returned %q with its error", id)
			}
			checkKind(t, err, tt.want)
			for _, want := range tt.wantMsg {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

func TestErrorBodyExcerptIsOneShortLine(t *testing.T) {
	body := "first line\n\n\tsecond   line\r\n" + strings.Repeat("x", 400)
	backend := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, body, http.StatusInternalServerError)
	})
	_, err := newClient(t, backend.URL).WhoAmI(context.Background(), whoamiPath, tokenValue)
	checkKind(t, err, failure.Unreachable)
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n\t") {
		t.Errorf("error %q spans lines", msg)
	}
	if !strings.Contains(msg, ": first line second line xxx") {
		t.Errorf("error %q lacks the start of the body on one line", msg)
	}
	if !strings.HasSuffix(msg, "…") || strings.Contains(msg, strings.Repeat("x", 161)) {
		t.Errorf("error %q is not cut short", msg)
	}
}

func TestErrorBodyExcerptIsCutOnACharacterBoundary(t *testing.T) {
	// 1 + 2n bytes: the cut at 160 bytes falls inside a two-byte character.
	body := "x" + strings.Repeat("é", 200)
	backend := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, body)
	})
	_, err := newClient(t, backend.URL).WhoAmI(context.Background(), whoamiPath, tokenValue)
	checkKind(t, err, failure.Unreachable)
	if !utf8.ValidString(err.Error()) {
		t.Errorf("error %q is not valid UTF-8", err)
	}
	if !strings.Contains(err.Error(), ": xéé") {
		t.Errorf("error %q lacks the start of the body", err)
	}
}

// redirector answers every request but the final one with a redirect to
// target(); the final path answers the token or the identity.
func redirector(status int, target func() string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/final/token":
			fmt.Fprint(w, tokenValue)
		case "/final/id":
			fmt.Fprint(w, "alice")
		default:
			http.Redirect(w, r, target()+"/final/"+strings.TrimPrefix(r.URL.Path, "/user/")+"?state="+stateValue, status)
		}
	}
}

func TestCrossOriginRedirectsAreNotFollowed(t *testing.T) {
	tests := []struct {
		name           string
		status         int
		backendIsLocal bool // the backend is reached as localhost, the other as 127.0.0.1
		target         func(backend, other *server) string
	}{
		{"302 to another host and port", http.StatusFound, false, func(b, o *server) string { return asLocalhost(o) }},
		{"307 to another host and port", http.StatusTemporaryRedirect, false, func(b, o *server) string { return asLocalhost(o) }},
		{"308 to another port on the same host", http.StatusPermanentRedirect, false, func(b, o *server) string { return o.URL }},
		{"301 to the same listener under another host name", http.StatusMovedPermanently, false, func(b, o *server) string { return asLocalhost(b) }},
		{"303 to https on the same host and port", http.StatusSeeOther, false, func(b, o *server) string { return strings.Replace(b.URL, "http:", "https:", 1) }},
		{"302 from localhost to 127.0.0.1", http.StatusFound, true, func(b, o *server) string { return o.URL }},
		{"302 from localhost to 127.0.0.1 on the same port", http.StatusFound, true, func(b, o *server) string { return b.URL }},
	}
	for _, tt := range tests {
		for _, step := range []string{"token", "whoami"} {
			t.Run(tt.name+"/"+step, func(t *testing.T) {
				other := newServer(t, redirector(tt.status, func() string { return "http://unused.invalid" }))
				var backend *server
				backend = newServer(t, redirector(tt.status, func() string { return tt.target(backend, other) }))
				base, host := backend.URL, "127.0.0.1"
				if tt.backendIsLocal {
					base, host = asLocalhost(backend), "localhost"
				}
				client := newClient(t, base)
				var err error
				var got string
				if step == "token" {
					got, err = client.Token(context.Background(), tokenPath, session(host))
					checkKind(t, err, failure.Refused)
				} else {
					got, err = client.WhoAmI(context.Background(), whoamiPath, tokenValue)
					checkKind(t, err, failure.Unreachable)
				}
				if got != "" {
					t.Errorf("%s returned %q from a redirect it must not follow", step, got)
				}
				if hits := other.Hits(); len(hits) != 0 {
					t.Errorf("the other server got %+v; the redirect must not be followed", hits)
				}
				hits := backend.Hits()
				if len(hits) != 1 {
					t.Errorf("the backend got %+v, want only the first request", hits)
				}
				for _, h := range hits[min(1, len(hits)):] {
					if strings.Contains(h.Cookie, cookieValue) || strings.Contains(h.Auth, tokenValue) {
						t.Errorf("credentials reached %s%s", h.Host, h.Path)
					}
				}
			})
		}
	}
}

func TestSameOriginRedirectsAreFollowedWithCredentials(t *testing.T) {
	var backend *server
	backend = newServer(t, redirector(http.StatusFound, func() string { return backend.URL }))
	client := newClient(t, backend.URL)
	tok, err := client.Token(context.Background(), tokenPath, session("127.0.0.1"))
	if err != nil || tok != tokenValue {
		t.Fatalf("Token = %q, %v; want %q", tok, err, tokenValue)
	}
	id, err := newClient(t, backend.URL).WhoAmI(context.Background(), whoamiPath, tokenValue)
	if err != nil || id != "alice" {
		t.Fatalf("WhoAmI = %q, %v; want alice", id, err)
	}
	hits := backend.Hits()
	want := []struct{ path, cookie, auth string }{
		{tokenPath, "session=" + cookieValue, ""},
		{"/final/token", "session=" + cookieValue, ""},
		{whoamiPath, "", "Bearer " + tokenValue},
		{"/final/id", "", "Bearer " + tokenValue},
	}
	if len(hits) != len(want) {
		t.Fatalf("backend got %+v, want %d requests", hits, len(want))
	}
	for i, w := range want {
		if hits[i].Path != w.path || hits[i].Cookie != w.cookie || hits[i].Auth != w.auth {
			t.Errorf("request %d = %+v, want path %s, Cookie %q, Authorization %q", i, hits[i], w.path, w.cookie, w.auth)
		}
	}
}

func TestRedirectLoopsWithinTheBackendEndAfterFiveRequests(t *testing.T) {
	backend := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop?code="+stateValue, http.StatusFound)
	})
	_, err := newClient(t, backend.URL).Token(context.Background(), tokenPath, session("127.0.0.1"))
	checkKind(t, err, failure.Refused)
	if n := len(backend.Hits()); n != 5 {
		t.Errorf("backend got %d requests, want 5", n)
	}
}

func TestTransportErrorsAreClassified(t *testing.T) {
	release := make(chan struct{})
	slow := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before slow.Close
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()

	withPassword := func(s string) string { return strings.Replace(s, "http://", "http://user:"+password+"@", 1) }
	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name    string
		backend string
		timeout time.Duration
		ctx     func() (context.Context, context.CancelFunc)
		want    failure.Kind
		wantMsg string
	}{
		{"connection refused", withPassword(down.URL), 5 * time.Second, nil, failure.Unreachable, "cannot reach the backend"},
		{"client timeout", withPassword(slow.URL), 200 * time.Millisecond, nil, failure.Timeout, "timed out"},
		{"context deadline", withPassword(slow.URL), 5 * time.Second, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		}, failure.Timeout, "timed out"},
		{"context canceled before the request", withPassword(slow.URL), 5 * time.Second, func() (context.Context, context.CancelFunc) {
			return canceled, func() {}
		}, failure.Interrupted, ""},
		{"context canceled during the request", withPassword(slow.URL), 5 * time.Second, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			return ctx, cancel
		}, failure.Interrupted, ""},
	}
	for _, tt := range tests {
		for _, step := range []string{"token", "whoami"} {
			t.Run(tt.name+"/"+step, func(t *testing.T) {
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if tt.ctx != nil {
					ctx, cancel = tt.ctx()
				}
				defer cancel()
				client := api.New(mustURL(t, tt.backend), tt.timeout)
				start := time.Now()
				var err error
				if step == "token" {
					_, err = client.Token(ctx, tokenPath, session("127.0.0.1"))
				} else {
					_, err = client.WhoAmI(ctx, whoamiPath, tokenValue)
				}
				checkKind(t, err, tt.want)
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("error %q does not say %q", err, tt.wantMsg)
				}
				if tt.want == failure.Interrupted && !errors.Is(err, context.Canceled) {
					t.Errorf("error %q does not wrap context.Canceled", err)
				}
				t.Logf("failed after %v", time.Since(start).Round(time.Millisecond))
			})
		}
	}
}

func TestErrorBodiesThatEchoTheTokenDoNotShowIt(t *testing.T) {
	backend := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad header: "+r.Header.Get("Authorization")+" cookie: "+r.Header.Get("Cookie"), http.StatusUnauthorized)
	})
	c := newClient(t, backend.URL)
	_, err := c.WhoAmI(context.Background(), whoamiPath, tokenValue)
	if err == nil || strings.Contains(err.Error(), tokenValue) {
		t.Errorf("WhoAmI error = %v; want one without the token", err)
	}
	_, err = c.Token(context.Background(), tokenPath, session("127.0.0.1"))
	if err == nil || strings.Contains(err.Error(), cookieValue) {
		t.Errorf("Token error = %v; want one without the cookie value", err)
	}
}
