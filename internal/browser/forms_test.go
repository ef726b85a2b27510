package browser

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
	"github.com/pquerna/otp/totp"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/chrome/chrometest"
	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/marker"
)

// One Chrome for the whole package, as chromedp's own tests do: each test
// logs in in a tab of its own through the remote-browser path.
var devtools string // http://127.0.0.1:PORT of the shared browser

// Names under .test reach this machine, as a remote IdP's name would:
// Chrome sees a host that is not loopback, clilogin too.
func TestMain(m *testing.M) {
	os.Exit(chrometest.Main(m, &devtools, "--host-resolver-rules=MAP *.test 127.0.0.1"))
}

func needBrowser(t *testing.T) { t.Helper(); chrometest.Need(t, devtools) }

const (
	testUser     = "alice@example.com"
	testPassword = "correct horse"
	testSecret   = "JBSWY3DPEHPK3PXP"
)

// idp is a small identity provider that serves the saved pages of
// testdata/forms and really checks the user name, the password and the
// one-time code. After the password it walks through the pages of stages
// (otp, stay-signed-in, consent), then sends the browser back to the
// backend's callback.
type idp struct {
	base     string // http://localhost:PORT
	backend  string
	start    string // the first page
	stages   []string
	subst    []string // old, new pairs replaced in every page served
	shows    string   // an error every page shows, as after a refused POST
	mu       sync.Mutex
	position int
	posts    atomic.Int32 // forms submitted to it
	// cookie is set by /authorize when not empty: the IdP's own session.
	cookie string
}

var tags = regexp.MustCompile(`<[^>]*>`)

func (p *idp) page(w http.ResponseWriter, name, errHTML string, status int) {
	b, err := os.ReadFile(filepath.Join("testdata", "forms", name))
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if errHTML == "" {
		errHTML = p.shows
	}
	b = bytes.Replace(b, []byte("<!--error-->"), []byte(errHTML), 1)
	b = bytes.Replace(b, []byte("<!--error-text-->"), []byte(tags.ReplaceAllString(errHTML, "")), 1)
	for i := 0; i+1 < len(p.subst); i += 2 {
		b = bytes.ReplaceAll(b, []byte(p.subst[i]), []byte(p.subst[i+1]))
	}
	w.Write(b)
}

// next is where the browser goes after a passed stage.
func (p *idp) next() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.position < len(p.stages) {
		p.position++
		return "/" + p.stages[p.position-1]
	}
	return p.backend + "/callback?code=good-code&state=s"
}

func hasValue(r *http.Request, want string) bool {
	r.ParseForm()
	for _, vs := range r.PostForm {
		for _, v := range vs {
			if v == want {
				return true
			}
		}
	}
	return false
}

func (p *idp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		p.posts.Add(1)
	}
	if r.URL.Path == "/authorize" && p.cookie != "" {
		http.SetCookie(w, &http.Cookie{Name: "idp_session", Value: p.cookie, Path: "/", HttpOnly: true})
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/authorize" && p.start == "deny":
		http.Redirect(w, r, p.backend+"/callback?error=access_denied&error_description=the+user+said+no", http.StatusFound)
	case r.Method == http.MethodGet && r.URL.Path == "/authorize":
		http.Redirect(w, r, "/"+p.start, http.StatusFound)
	case r.Method == http.MethodGet:
		if d, err := time.ParseDuration(q.Get("delay")); err == nil { // a file slow to come
			time.Sleep(d)
		}
		p.page(w, strings.TrimPrefix(r.URL.Path, "/"), "", http.StatusOK)
	case r.URL.Path == "/identify":
		if !hasValue(r, testUser) {
			p.page(w, q.Get("back"), `<div class="o-form-error-container" role="alert">Unable to sign in: unknown user</div>`, http.StatusOK)
			return
		}
		p.page(w, q.Get("next"), "", http.StatusOK)
	case r.URL.Path == "/identify-json":
		if !hasValue(r, testUser) {
			http.Error(w, "no such user", http.StatusNotFound)
		}
	case r.URL.Path == "/authenticate":
		if d, err := time.ParseDuration(q.Get("delay")); err == nil { // an IdP slow to answer
			time.Sleep(d)
		}
		if once := q.Get("once"); once != "" && p.posts.Load() == 1 { // the first POST answered with another page
			p.page(w, once, "", http.StatusOK)
			return
		}
		if !hasValue(r, testPassword) {
			p.page(w, q.Get("back"), `<p class="error" role="alert">Wrong password.</p>`, http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, p.next(), http.StatusSeeOther)
	case r.URL.Path == "/authenticate-json":
		if !hasValue(r, testUser) || !hasValue(r, testPassword) {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, p.next())
	case r.URL.Path == "/otp":
		r.ParseForm()
		if !totp.Validate(r.PostForm.Get("totp"), testSecret) {
			p.page(w, "otp.html", `<div role="alert">Invalid code.</div>`, http.StatusOK)
			return
		}
		http.Redirect(w, r, p.next(), http.StatusSeeOther)
	case r.URL.Path == "/grant": // scopes.html: email must be granted, the choice not remembered
		r.ParseForm()
		scopes := strings.Join(r.PostForm["scope"], " ")
		if !strings.Contains(scopes, "email") || r.PostForm.Get("remember") != "" {
			http.Redirect(w, r, p.backend+"/callback?error=invalid_scope&error_description=granted+"+url.QueryEscape(scopes)+"+remember+"+r.PostForm.Get("remember"), http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, p.next(), http.StatusSeeOther)
	case r.URL.Path == "/continue":
		http.Redirect(w, r, p.next(), http.StatusSeeOther)
	case r.URL.Path == "/consent":
		if hasValue(r, "allow") || hasValue(r, "Yes") {
			http.Redirect(w, r, p.next(), http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, p.backend+"/callback?error=access_denied&error_description=the+user+said+no", http.StatusSeeOther)
	default:
		http.NotFound(w, r)
	}
}

// flow is a backend on 127.0.0.1 and an IdP on localhost.
type flow struct {
	backend        string
	idp            *idp
	sid            string // the session cookie the backend sets
	callbackStatus int    // 0: the callback works
	callbackSays   string // what a failing callback says ("": token exchange exploded)
	// backTo is where the callback sends the browser after setting the
	// session ("": it answers ok itself); the login path answers ok to a
	// browser with the session (a mod_auth_openidc front). signedIn: the
	// login path answers ok at once, without the IdP.
	backTo   string
	signedIn bool
	// onCallback, if set, runs when the callback is asked, before it
	// answers: the login is under way, its tab open.
	onCallback func()
}

func newFlow(t *testing.T, start string, stages ...string) *flow {
	t.Helper()
	return newFlowAt(t, "localhost", start, stages...)
}

// newFlowAt is newFlow with the IdP on host: "localhost", "127.0.0.1" (the
// backend's host, another port) or a name under .test (not loopback).
func newFlowAt(t *testing.T, host, start string, stages ...string) *flow {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	f := &flow{sid: hex.EncodeToString(b)}
	f.idp = &idp{start: start, stages: stages}
	isrv := httptest.NewServer(f.idp)
	t.Cleanup(isrv.Close)
	f.idp.base = strings.Replace(isrv.URL, "127.0.0.1", host, 1)
	bsrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			if c, err := r.Cookie("sid"); f.signedIn || err == nil && c.Value == f.sid {
				http.SetCookie(w, &http.Cookie{Name: "sid", Value: f.sid, Path: "/", HttpOnly: true})
				fmt.Fprint(w, "<html><body><p>ok</p></body></html>")
				return
			}
			http.Redirect(w, r, f.idp.base+"/authorize", http.StatusFound)
		case "/callback":
			if f.onCallback != nil {
				f.onCallback()
			}
			if e := r.URL.Query().Get("error"); e != "" {
				http.Error(w, "login failed: "+e, http.StatusUnauthorized)
				return
			}
			if f.callbackStatus != 0 {
				says := "token exchange exploded"
				if f.callbackSays != "" {
					says = f.callbackSays
				}
				http.Error(w, says, f.callbackStatus)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: f.sid, Path: "/", HttpOnly: true})
			if f.backTo != "" {
				http.Redirect(w, r, f.backTo, http.StatusFound)
				return
			}
			fmt.Fprint(w, "ok")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(bsrv.Close)
	f.backend = bsrv.URL
	f.idp.backend = bsrv.URL
	return f
}

// login runs Login against the flow in a new tab of the shared browser.
func (f *flow) login(t *testing.T, edit func(*Config)) (*Result, string, error) {
	t.Helper()
	u, _ := url.Parse(f.backend)
	var log strings.Builder
	var mu sync.Mutex
	c := Config{
		Remote: devtools, Headless: true, Backend: &backend.Backend{URL: u}, LoginPath: "/login", CallbackPath: "/callback",
		Marker: marker.Marker{Kind: "text", Value: "ok"}, CookieURLs: []string{f.backend + "/"},
		Username: testUser, Password: testPassword, Deadline: time.Now().Add(20 * time.Second),
		Logf: func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(&log, format+"\n", args...)
		},
	}
	if edit != nil {
		edit(&c)
	}
	res, err := Login(context.Background(), c)
	if res != nil {
		res.Wait()
	}
	mu.Lock()
	defer mu.Unlock()
	return res, log.String(), err
}

func TestFormsAreFilledWithoutSelectors(t *testing.T) {
	needBrowser(t)
	tests := []struct {
		name   string
		start  string
		stages []string
		secret string
		want   []string // in the log, in order
	}{
		{"one page form", "one-page.html", nil, "", []string{"filled credentials", "clicked Log in"}},
		{"input without a type, error in red", "red-error.html", nil, "", []string{"filled credentials", "clicked Login"}},
		{"identifier first on two pages", "okta-identifier.html", nil, "", []string{"filled username", "clicked Next", "filled credentials", "clicked Verify"}},
		{"div buttons and a scripted step", "google-identifier.html", nil, "", []string{"filled username", "clicked Next", "filled credentials", "clicked Next"}},
		{"password added in the same document", "spa.html", nil, "", []string{"filled username", "clicked Next", "filled credentials", "clicked Sign in"}},
		{"one-time code, stay signed in, consent", "one-page.html", []string{"otp.html", "stay-signed-in.html", "consent.html"}, testSecret,
			[]string{"filled credentials", "filled otp", "clicked Verify", "passed consent", "clicked Yes", "passed consent", "clicked Allow"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFlow(t, tt.start, tt.stages...)
			res, log, err := f.login(t, func(c *Config) { c.TOTPSecret = tt.secret })
			if err != nil {
				t.Fatalf("Login: %v\n%s", err, log)
			}
			found := false
			for _, c := range res.Cookies {
				found = found || c.Name == "sid" && c.Value == f.sid && c.HTTPOnly && c.HostOnly && c.Domain == "127.0.0.1"
			}
			if !found {
				t.Errorf("the backend's HttpOnly host-only session cookie is not among %+v", res.Cookies)
			}
			rest := log
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("log lacks %q (in order %q):\n%s", w, tt.want, log)
				}
				rest = rest[i+len(w):]
			}
			if strings.Contains(log, testPassword) || strings.Contains(log, testSecret) {
				t.Errorf("the log shows a secret:\n%s", log)
			}
		})
	}
}

func TestLoginEndsAtOnceWithTheIdPsWords(t *testing.T) {
	needBrowser(t)
	tests := []struct {
		name   string
		start  string
		stages []string
		edit   func(*Config)
		kind   failure.Kind
		want   string
	}{
		{"wrong password", "one-page.html", nil, func(c *Config) { c.Password = "wrong" }, failure.Refused, "refused the sign-in: Wrong password."},
		{"error marked only in red", "red-error.html", nil, func(c *Config) { c.Password = "wrong" }, failure.Refused, "refused the sign-in: Wrong password."},
		{"wrong password in the same document", "spa.html", nil, func(c *Config) { c.Password = "wrong" }, failure.Refused, "Your account or password is incorrect."},
		{"unknown user, identifier first", "okta-identifier.html", nil, func(c *Config) { c.Username = "mallory@example.com" }, failure.Refused, "Unable to sign in: unknown user"},
		{"unknown user, scripted", "google-identifier.html", nil, func(c *Config) { c.Username = "mallory@example.com" }, failure.Refused, "find your Google Account"},
		{"one-time code without a secret", "one-page.html", []string{"otp.html"}, nil, failure.Refused, "no TOTP secret was given"},
		{"wrong TOTP secret", "one-page.html", []string{"otp.html"}, func(c *Config) { c.TOTPSecret = "GEZDGNBVGY3TQOJQ" }, failure.Refused, "Invalid code."},
		{"consent not allowed", "one-page.html", []string{"consent.html"}, func(c *Config) { c.NoConsent = true }, failure.Refused, "forbids approving it"},
		{"headless refused", "unsupported.html", nil, nil, failure.Refused, "refuses this headless browser"},
		{"no password given", "one-page.html", nil, func(c *Config) { c.Password = "" }, failure.Usage, "asks for a password, and none was given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFlow(t, tt.start, tt.stages...)
			t0 := time.Now()
			_, log, err := f.login(t, tt.edit)
			if err == nil {
				t.Fatalf("Login succeeded:\n%s", log)
			}
			if failure.KindOf(err) != tt.kind || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v (kind %v), want kind %v with %q\n%s", err, failure.KindOf(err), tt.kind, tt.want, log)
			}
			if failure.HintOf(err) == "" {
				t.Error("no hint")
			}
			// The deadline is 20s away; a login that waited for it would
			// be a timeout, which the kind above tells apart.
			t.Logf("failed after %s", time.Since(t0).Round(time.Millisecond))
		})
	}
}

func TestCallbackFailuresEndTheLoginAtOnce(t *testing.T) {
	needBrowser(t)
	t.Run("IdP redirects back with error=", func(t *testing.T) {
		f := newFlow(t, "deny")
		_, log, err := f.login(t, nil)
		if failure.KindOf(err) != failure.Refused || !strings.Contains(fmt.Sprint(err), "access_denied: the user said no") {
			t.Errorf("error = %v, want refused with the IdP's error\n%s", err, log)
		}
	})
	t.Run("callback answers 500", func(t *testing.T) {
		f := newFlow(t, "one-page.html")
		f.callbackStatus = http.StatusInternalServerError
		_, log, err := f.login(t, nil)
		if failure.KindOf(err) != failure.Unreachable || !strings.Contains(fmt.Sprint(err), "callback answered 500") {
			t.Errorf("error = %v, want unreachable: callback answered 500\n%s", err, log)
		}
		if !strings.Contains(fmt.Sprint(err), "token exchange exploded") {
			t.Errorf("error = %v, want the page's own words", err)
		}
	})
}

// With a remote browser the login opens a tab of its own and closes it;
// the browser keeps running.
func TestRemoteBrowserKeepsRunningAndClosesItsTab(t *testing.T) {
	needBrowser(t)
	f := newFlow(t, "one-page.html")
	if _, log, err := f.login(t, nil); err != nil {
		t.Fatalf("Login: %v\n%s", err, log)
	}
	resp, err := http.Get(devtools + "/json/list")
	if err != nil {
		t.Fatalf("the remote browser is gone: %v", err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if strings.Contains(b.String(), f.backend) || strings.Contains(b.String(), f.idp.base) {
		t.Errorf("the login's tab is still open:\n%s", b.String())
	}
}

// The password, the user name and one-time codes are typed only into
// https:// pages or pages on loopback: an IdP page in clear text on another
// host ends the login with a usage error, and the IdP gets nothing.
// --insecure-http lifts it, and says so.
func TestCredentialsAreTypedOnlyOnHTTPSOrLoopbackPages(t *testing.T) {
	needBrowser(t)
	for _, start := range []string{"one-page.html", "okta-identifier.html"} {
		t.Run(start, func(t *testing.T) {
			f := newFlowAt(t, "idp.test", start)
			_, log, err := f.login(t, nil)
			if failure.KindOf(err) != failure.Usage || !strings.Contains(fmt.Sprint(err), "not encrypted") {
				t.Errorf("error = %v (kind %v), want a usage error saying the page is not encrypted\n%s", err, failure.KindOf(err), log)
			}
			if failure.HintOf(err) == "" || !strings.Contains(failure.HintOf(err), "--insecure-http") {
				t.Errorf("hint = %q, want --insecure-http named", failure.HintOf(err))
			}
			if n := f.idp.posts.Load(); n != 0 {
				t.Errorf("the IdP in clear text got %d forms", n)
			}
		})
	}
	t.Run("--insecure-http", func(t *testing.T) {
		f := newFlowAt(t, "idp.test", "one-page.html")
		var warned []string
		_, log, err := f.login(t, func(c *Config) {
			c.InsecureHTTP = true
			c.Warnf = func(format string, args ...any) { warned = append(warned, fmt.Sprintf(format, args...)) }
		})
		if err != nil {
			t.Fatalf("Login: %v\n%s", err, log)
		}
		if len(warned) != 1 || !strings.Contains(warned[0], "clear text") || !strings.Contains(warned[0], "--insecure-http") {
			t.Errorf("warnings = %q, want one that says the credentials go in clear text", warned)
		}
	})
}

// An IdP on the backend's host name, on another port, shares the browser's
// cookie jar with the backend (cookies ignore ports). Its cookies are not
// the backend's: they are neither taken nor sent to the token path.
func TestIdPCookiesOnTheBackendsHostAreNotTaken(t *testing.T) {
	needBrowser(t)
	f := newFlowAt(t, "127.0.0.1", "one-page.html")
	f.idp.cookie = "idp-secret-0451"
	res, log, err := f.login(t, nil)
	if err != nil {
		t.Fatalf("Login: %v\n%s", err, log)
	}
	var names []string
	for _, c := range res.Cookies {
		names = append(names, c.Name)
		if c.Value == f.idp.cookie {
			t.Errorf("the IdP's cookie %s was taken as the backend's", c.Name)
		}
	}
	if !slices.Contains(names, "sid") {
		t.Errorf("the backend's cookie is missing: %q", names)
	}
}

// The IdP's session cookies restored from the cache, on the backend's host
// (another port), are not taken as the backend's at the end either.
func TestRestoredIdPCookiesOnTheBackendsHostAreNotTaken(t *testing.T) {
	needBrowser(t)
	f := newFlowAt(t, "127.0.0.1", "one-page.html")
	restored := cookies.Cookie{Name: "idp_remember", Value: "idp-secret-0453", Domain: "127.0.0.1", HostOnly: true, Path: "/", HTTPOnly: true}
	res, log, err := f.login(t, func(c *Config) { c.IdPSession = []cookies.Cookie{restored} })
	if err != nil {
		t.Fatalf("Login: %v\n%s", err, log)
	}
	wantInOrder(t, log, "restored 1 cookies")
	var names []string
	for _, c := range res.Cookies {
		names = append(names, c.Name)
		if c.Value == restored.Value {
			t.Errorf("the restored IdP cookie %s was taken as the backend's", c.Name)
		}
	}
	if !slices.Contains(names, "sid") {
		t.Errorf("the backend's cookie is missing: %q", names)
	}
	var kept bool
	for _, c := range res.IdPSession {
		kept = kept || c.Value == restored.Value
	}
	if !kept {
		t.Errorf("the restored IdP cookie is not in the IdP's session after the login: %+v", res.IdPSession)
	}
}

// A login in a remote browser runs in a browser context of its own, which is
// disposed of at the end: no cookie of the backend or the IdP stays in the
// browser for its next user. The cookies are read where the login keeps
// them, its own context (seen holding the IdP's cookie while the login
// runs), and in the default context.
func TestRemoteBrowserKeepsNoCookieOfTheLogin(t *testing.T) {
	needBrowser(t)
	actx, cancel := remote.NewAllocator(context.Background(), devtools)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 20*time.Second)
	defer cancelT()
	before, err := chromedp.CallBrowser(ctx, target.GetBrowserContexts, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	existed := map[cdp.BrowserContextID]bool{}
	for _, id := range before.BrowserContextIDs {
		existed[id] = true
	}
	// read returns the values of the cookies of a browser context ("": the
	// default one).
	read := func(id cdp.BrowserContextID) ([]string, error) {
		got, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{BrowserContextID: id})
		if err != nil {
			return nil, err
		}
		var values []string
		for _, c := range got.Cookies {
			values = append(values, c.Value)
		}
		return values, nil
	}
	f := newFlow(t, "one-page.html")
	f.idp.cookie = "idp-secret-0452"
	var logins []cdp.BrowserContextID
	var during []string
	f.onCallback = func() {
		now, err := chromedp.CallBrowser(ctx, target.GetBrowserContexts, cdp.Empty{})
		if err != nil {
			t.Error(err)
			return
		}
		for _, id := range now.BrowserContextIDs {
			if !existed[id] {
				logins = append(logins, id)
				values, err := read(id)
				if err != nil {
					t.Errorf("reading the login's cookies: %v", err)
				}
				during = append(during, values...)
			}
		}
	}
	if _, log, err := f.login(t, nil); err != nil {
		t.Fatalf("Login: %v\n%s", err, log)
	}
	if len(logins) != 1 || !slices.Contains(during, f.idp.cookie) {
		t.Fatalf("during the login: %d contexts of its own, holding the IdP's cookie: %v; want one that does", len(logins), slices.Contains(during, f.idp.cookie))
	}
	for _, id := range []cdp.BrowserContextID{"", logins[0]} {
		values, err := read(id)
		if err != nil && id != "" {
			continue // disposed of: nothing is left in it
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			if v == f.sid || v == f.idp.cookie {
				t.Errorf("the browser context %q kept a cookie of the login", id)
			}
		}
	}
	contexts, err := chromedp.CallBrowser(ctx, target.GetBrowserContexts, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range contexts.BrowserContextIDs {
		if !existed[id] {
			t.Errorf("the login's browser context %s is left in the remote browser", id)
		}
	}
}

// An IdP's error that quotes the TOTP secret is shown masked, as the
// password is.
func TestRefusalsMaskTheTOTPSecret(t *testing.T) {
	needBrowser(t)
	const secret = "GEZDGNBVGY3TQOJQ"
	f := newFlow(t, "one-page.html", "otp.html")
	f.idp.subst = []string{"Invalid code.", "Invalid code for " + secret + "."}
	_, log, err := f.login(t, func(c *Config) { c.TOTPSecret = secret })
	if failure.KindOf(err) != failure.Refused || !strings.Contains(fmt.Sprint(err), "Invalid code for ") {
		t.Fatalf("error = %v, want refused with the IdP's words\n%s", err, log)
	}
	if strings.Contains(fmt.Sprint(err), secret) || strings.Contains(log, secret) {
		t.Errorf("the TOTP secret shows: %v\n%s", err, log)
	}
}

// An IdP's error that quotes a 3-character password and the browser's
// cookie values is shown masked, in the error as in the artifacts: one rule
// of what is a secret for both.
func TestRefusalsMaskAShortPasswordAndTheCookies(t *testing.T) {
	needBrowser(t)
	const short, cookie = "abc", "idp-secret-0461"
	f := newFlow(t, "one-page.html")
	f.idp.cookie = cookie
	f.idp.subst = []string{"Wrong password.", "Wrong password " + short + " for session " + cookie + "."}
	dir := t.TempDir()
	_, log, err := f.login(t, func(c *Config) { c.Password, c.Artifacts = short, dir })
	if failure.KindOf(err) != failure.Refused || !strings.Contains(fmt.Sprint(err), "Wrong password ") {
		t.Fatalf("error = %v, want refused with the IdP's words\n%s", err, log)
	}
	shows := func(s string) bool { return strings.Contains(s, " "+short+" ") || strings.Contains(s, cookie) }
	if shows(fmt.Sprint(err)) || shows(log) {
		t.Errorf("the password or a cookie value shows: %v\n%s", err, log)
	}
	files, _ := os.ReadDir(dir)
	if len(files) == 0 {
		t.Fatal("no artifacts written")
	}
	for _, e := range files {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if shows(string(b)) {
			t.Errorf("%s shows the password or a cookie value", e.Name())
		}
	}
}

// --artifacts DIR: a missing directory is created 0700; an existing one is
// used as it is, never chmod'ed (a 1777 directory keeps its sticky bit); a
// symbolic link is not followed: nothing is written where it points.
func TestArtifactsLeaveTheDirectoryAsItIs(t *testing.T) {
	needBrowser(t)
	fail := func(t *testing.T, dir string) []string {
		t.Helper()
		f := newFlow(t, "one-page.html")
		var warned []string
		_, log, err := f.login(t, func(c *Config) {
			c.Password, c.Artifacts = "wrong password", dir
			c.Warnf = func(format string, args ...any) { warned = append(warned, fmt.Sprintf(format, args...)) }
		})
		if failure.KindOf(err) != failure.Refused {
			t.Fatalf("error = %v, want refused\n%s", err, log)
		}
		return warned
	}
	t.Run("missing", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "a", "b")
		fail(t, dir)
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("the new directory: %v, %v; want mode 0700", fi, err)
		}
		if files, _ := os.ReadDir(dir); len(files) != 3 {
			t.Errorf("%d artifacts, want 3", len(files))
		}
	})
	t.Run("shared", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Chmod(dir, os.ModeSticky|0o777); err != nil {
			t.Fatal(err)
		}
		fail(t, dir)
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode()&(os.ModePerm|os.ModeSticky) != os.ModePerm|os.ModeSticky {
			t.Errorf("the directory's mode is now %v, want drwxrwxrwt as it was", fi.Mode())
		}
		files, _ := os.ReadDir(dir)
		if len(files) != 3 {
			t.Errorf("%d artifacts, want 3", len(files))
		}
		for _, e := range files {
			if fi, _ := e.Info(); fi.Mode().Perm() != 0o600 {
				t.Errorf("%s is %v, want 0600", e.Name(), fi.Mode())
			}
		}
	})
	t.Run("symlink", func(t *testing.T) {
		target := t.TempDir()
		if err := os.Chmod(target, 0o755); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(t.TempDir(), "link")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		warned := fail(t, link)
		if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o755 {
			t.Errorf("the link's target is now %v", fi.Mode())
		}
		if files, _ := os.ReadDir(target); len(files) != 0 {
			t.Errorf("%d artifacts written through the symbolic link", len(files))
		}
		if !strings.Contains(strings.Join(warned, "\n"), "symbolic link") {
			t.Errorf("warnings = %q, want one saying the directory is a symbolic link", warned)
		}
	})
}

// The credential rule holds for where the form sends what is typed, not
// only for the page's address: a sign-in page on loopback whose form (or
// submit button) posts to http:// on a host that is not loopback is refused,
// and that host gets nothing.
func TestCredentialsAreNotPostedInClearOffLoopback(t *testing.T) {
	needBrowser(t)
	var stolen atomic.Int32
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			stolen.Add(1)
		}
		fmt.Fprint(w, "thanks")
	}))
	defer collector.Close()
	steal := strings.Replace(collector.URL, "127.0.0.1", "collector.test", 1) + "/steal"
	for name, subst := range map[string][]string{
		"form action": {`action="/authenticate?back=one-page.html"`, `action="` + steal + `"`},
		"formaction":  {`<button type="submit">`, `<button type="submit" formaction="` + steal + `">`},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFlow(t, "one-page.html")
			f.idp.subst = subst
			_, log, err := f.login(t, nil)
			if failure.KindOf(err) != failure.Usage || !strings.Contains(fmt.Sprint(err), "not encrypted") {
				t.Errorf("error = %v (kind %v), want a usage error saying where the form sends is not encrypted\n%s", err, failure.KindOf(err), log)
			}
			if n := stolen.Load(); n != 0 {
				t.Errorf("the host in clear text got %d forms", n)
			}
		})
	}
}
