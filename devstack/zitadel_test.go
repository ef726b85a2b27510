package devstack

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startZitadel starts a stack with zitadel/oidc's example OP.
func startZitadel(t *testing.T) *Stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Start(ctx, Config{IdP: "zitadel"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if !strings.HasPrefix(s.IssuerURL, "http://localhost:") || strings.Count(s.IssuerURL, "/") != 2 {
		t.Errorf("IssuerURL = %q, want http://localhost:PORT", s.IssuerURL)
	}
	return s
}

// browser is a cookie-keeping HTTP client, as a browser would be.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 5 * time.Second}
}

// get fetches u (following redirects) and returns the final URL and body.
func get(t *testing.T, c *http.Client, u string, header ...string) (*url.URL, int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

func read(t *testing.T, resp *http.Response) (*url.URL, int, string) {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Request.URL, resp.StatusCode, string(b)
}

var (
	formRE  = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputRE = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	attrRE  = regexp.MustCompile(`(?is)([a-z-]+)\s*=\s*"([^"]*)"`)
)

func attrs(tag string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRE.FindAllStringSubmatch(tag, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return m
}

// submitLogin parses the login page's one form, fills its user name and
// password fields and posts it (following redirects).
func submitLogin(t *testing.T, c *http.Client, page *url.URL, body, user, password string) (*url.URL, int, string) {
	t.Helper()
	forms := formRE.FindAllStringSubmatch(body, -1)
	if len(forms) != 1 {
		t.Fatalf("want one form on %s, got %d:\n%s", page, len(forms), body)
	}
	form := attrs(forms[0][1])
	if m := strings.ToUpper(form["method"]); m != http.MethodPost {
		t.Fatalf("form method %q, want POST", form["method"])
	}
	action, err := page.Parse(form["action"])
	if err != nil {
		t.Fatal(err)
	}
	values := url.Values{}
	var sawUser, sawPassword bool
	for _, in := range inputRE.FindAllStringSubmatch(forms[0][2], -1) {
		a := attrs(in[1])
		switch {
		case a["type"] == "password":
			values.Set(a["name"], password)
			sawPassword = true
		case a["autocomplete"] == "username":
			values.Set(a["name"], user)
			sawUser = true
		case a["name"] != "":
			values.Set(a["name"], a["value"])
		}
	}
	if !sawUser || !sawPassword {
		t.Fatalf("no user name or password field in the form:\n%s", forms[0][0])
	}
	resp, err := c.PostForm(action.String(), values)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

// loginPage starts a login at the backend and returns the OP's login page.
func loginPage(t *testing.T, s *Stack, c *http.Client) (*url.URL, string) {
	t.Helper()
	u, code, body := get(t, c, s.BackendURL+"/login")
	if code != http.StatusOK || !strings.HasPrefix(u.String(), s.IssuerURL+"/login/") {
		t.Fatalf("GET /login ended at %s (%d), want the OP's login page:\n%s", u, code, body)
	}
	return u, body
}

func TestZitadelLogin(t *testing.T) {
	s := startZitadel(t)
	c := browser(t)
	page, body := loginPage(t, s, c)

	u, code, body := submitLogin(t, c, page, body, DemoUser.Email, DemoUser.Password)
	if code != http.StatusOK || u.Path != "/callback" || body != "ok" {
		t.Fatalf("login ended at %s (%d): %q", u, code, body)
	}
	if !strings.HasPrefix(u.String(), s.BackendURL) {
		t.Fatalf("callback on %s, want the backend %s", u, s.BackendURL)
	}

	_, code, token := get(t, c, s.BackendURL+"/user/token")
	if code != http.StatusOK || strings.Count(token, ".") != 2 {
		t.Fatalf("GET /user/token: %d %q", code, token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Iss, Email string
		Exp        int64
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Iss != s.IssuerURL || claims.Email != DemoUser.Email {
		t.Errorf("id_token claims %s", payload)
	}
	if d := time.Until(time.Unix(claims.Exp, 0)); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("id_token expires in %s, want the stack's 1h", d)
	}

	_, code, id := get(t, c, s.BackendURL+"/user/id", "Authorization", "Bearer "+token)
	if code != http.StatusOK || id != DemoUser.Email {
		t.Fatalf("GET /user/id: %d %q, want %q", code, id, DemoUser.Email)
	}

	// The example OP keeps no session: a second login in the same browser
	// shows the form again.
	if _, body := loginPage(t, s, c); !strings.Contains(body, `type="password"`) {
		t.Errorf("second login: no password field:\n%s", body)
	}
}

func TestZitadelWrongPassword(t *testing.T) {
	s := startZitadel(t)
	c := browser(t)
	page, body := loginPage(t, s, c)

	u, code, body := submitLogin(t, c, page, body, DemoUser.Email, "not-"+DemoUser.Password)
	if code != http.StatusOK || !strings.HasPrefix(u.String(), s.IssuerURL+"/login/") {
		t.Fatalf("wrong password ended at %s (%d), want the login page:\n%s", u, code, body)
	}
	if !strings.Contains(body, "username or password wrong") || !strings.Contains(body, `type="password"`) {
		t.Errorf("the page shows no error or no form:\n%s", body)
	}
	if _, code, _ := get(t, c, s.BackendURL+"/user/token"); code != http.StatusUnauthorized {
		t.Errorf("GET /user/token after a failed login: %d, want 401", code)
	}

	// The same form, with the right password, still works.
	u, code, body = submitLogin(t, c, u, body, DemoUser.Email, DemoUser.Password)
	if code != http.StatusOK || u.Path != "/callback" || body != "ok" {
		t.Fatalf("retry ended at %s (%d): %q", u, code, body)
	}
}

func TestZitadelUnknownIdP(t *testing.T) {
	if s, err := Start(context.Background(), Config{IdP: "keycloak"}); err == nil {
		s.Close()
		t.Fatal("Start with an unknown IdP succeeded")
	}
	if s, err := Start(context.Background(), Config{IdP: "zitadel", Approval: true}); err == nil {
		s.Close()
		t.Fatal("Start with zitadel and Approval succeeded")
	}
}

// With FreshTokens the backend renews the id_token with the OP's refresh
// token on each /user/token; the renewed token still carries the email.
func TestZitadelFreshTokens(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Start(ctx, Config{IdP: "zitadel", FreshTokens: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := browser(t)
	page, body := loginPage(t, s, c)
	if u, code, body := submitLogin(t, c, page, body, DemoUser.Email, DemoUser.Password); body != "ok" {
		t.Fatalf("login ended at %s (%d): %q", u, code, body)
	}
	var tokens []string
	for range 2 {
		_, code, token := get(t, c, s.BackendURL+"/user/token")
		if code != http.StatusOK {
			t.Fatalf("GET /user/token: %d %q", code, token)
		}
		if _, code, id := get(t, c, s.BackendURL+"/user/id", "Authorization", "Bearer "+token); id != DemoUser.Email {
			t.Fatalf("GET /user/id: %d %q", code, id)
		}
		tokens = append(tokens, token)
	}
	if tokens[0] == tokens[1] {
		t.Error("/user/token returned the same token twice")
	}
}
