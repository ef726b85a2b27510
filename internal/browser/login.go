// Package browser runs the browser side of a login: it starts Chrome in app
// mode on a persistent profile, opens the backend's login path, fills the
// IdP's forms when it has credentials, waits for the backend's success page,
// takes the backend's cookies and closes Chrome gracefully, so that the
// profile keeps the IdP's session for the next login.
//
// Chrome itself (finding it, starting and ending its processes, the profile's
// lock and preferences) is internal/chrome's, a remote browser's endpoint
// internal/remotebrowser's, the success marker internal/marker's, and the
// IdP page model (what state a sign-in page is in, when to act on it, when
// an error is a refusal) internal/pagemodel's. This package is the login:
// it starts the browser (start.go), follows its window (events.go,
// settle.go), gives the page model its page (pages.go, probe.js), waits for
// the success marker (wait.go), takes the cookies (cdpcookies.go,
// idpsession.go) and keeps the artifacts of a failure (artifacts.go).
package browser

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/chrome"
	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/marker"
	"github.com/clilogin/clilogin/internal/pagemodel"
	"github.com/clilogin/clilogin/internal/passkey"
	"github.com/clilogin/clilogin/internal/remotebrowser"
)

// Config describes one login.
type Config struct {
	Browser     string   // binary; "" finds one
	BrowserArgs []string // extra switches, "--name" or "--name=value"
	Headless    bool
	Profile     string // the persistent profile directory
	// Remote is the DevTools endpoint (ws://… or http://host:port) of a
	// running Chrome to use instead of starting one: the login opens in a
	// new tab in a browser context of its own, both disposed of at the end;
	// the browser keeps running.
	Remote string
	// InsecureRemote allows a clear-text Remote off loopback.
	InsecureRemote bool

	Backend      *backend.Backend
	LoginPath    string
	CallbackPath string // "" accepts the marker on any backend page
	Marker       marker.Marker
	CookieURLs   []string // the backend URLs whose cookies are taken
	// IdPSession is the identity provider's session from the last login, put
	// back into the browser before the login path is opened.
	IdPSession []cookies.Cookie
	// ClearCookies clears the profile's cookies before IdPSession is
	// restored and the login path opened: a stored IdP session of another
	// user must not sign this login in silently.
	ClearCookies bool

	// Credentials for filling the IdP's forms; none means a person signs in.
	Username, Password                   string
	UsernameField, PasswordField, Submit string // CSS selectors overriding detection
	NoConsent                            bool
	TOTPSecret                           string // base32, for one-time-code pages

	// InsecureHTTP lets credentials be typed into http:// pages that are not
	// on loopback.
	InsecureHTTP bool

	Deadline time.Time // the whole login, browser start included

	// Artifacts is a directory for a screenshot, the page's HTML and the
	// URLs visited when the login fails; "" writes none.
	Artifacts string

	// Logf logs a step for -v; it is never given a secret.
	Logf func(format string, args ...any)
	// Warnf tells the person about a problem that does not end the login.
	Warnf func(format string, args ...any)
	// Step is called when the login enters a step: "browser start",
	// "idp page", "form", "callback".
	Step func(name string)
	// Waiting is called once when the login waits for a person at the window.
	Waiting func()
	// Passkey, when not nil, is presented by a virtual authenticator to
	// the IdP's WebAuthn step; EnrollPasskey has one register a new passkey,
	// returned in Result.Passkey (webauthn.go).
	Passkey       *passkey.Credential
	EnrollPasskey bool
	// Prompt, when not nil, asks the person at the terminal what a headless
	// login's sign-in pages ask and nothing else answers
	// (internal/pagemodel's prompt.go).
	Prompt Prompter
}

// Prompter asks the person at the terminal (internal/pagemodel's).
type Prompter = pagemodel.Prompter

// Result is a finished login. The browser may still be closing.
type Result struct {
	Cookies []cookies.Cookie
	// IdPSession is the identity provider's session after the login: the
	// cookies of every other host the login passed through.
	IdPSession []cookies.Cookie
	URL        string // the success page, redacted
	// FilledSignIn says that clilogin filled the IdP's user name or
	// password field during the login (with Config.Username).
	FilledSignIn bool
	// Passkey is the passkey registered during the login (EnrollPasskey).
	Passkey *passkey.Credential
	closed  chan struct{}
}

// Wait waits until the browser has closed and the profile is unlocked.
func (r *Result) Wait() {
	if r.closed != nil {
		<-r.closed
	}
}

var (
	errTimedOut    = errors.New("timed out")
	errInterrupted = errors.New("interrupted")
)

// pollInterval is how often the page is probed. A probe is one round trip
// over the DevTools pipe, about a millisecond.
const pollInterval = 40 * time.Millisecond

// Login runs the browser login. On success the returned Result holds the
// backend's cookies and the browser closes in the background; on failure
// the browser is closed before Login returns. Cancelling ctx (a signal)
// ends the wait and closes the browser gracefully.
func Login(ctx context.Context, c Config) (*Result, error) {
	c = withDefaults(c)
	c.Step("browser start")
	s, err := newLoginRun(ctx, c)
	if err != nil {
		return nil, err
	}
	res, err := recovered(func() (*Result, error) { return s.login(ctx) })
	if err != nil {
		err = s.failed(err)
		s.close()
		return nil, err
	}
	res.closed = make(chan struct{})
	go func() {
		s.close()
		close(res.closed)
	}()
	return res, nil
}

// withDefaults gives the callbacks that c leaves nil a no-op.
func withDefaults(c Config) Config {
	nop := func(string, ...any) {}
	if c.Logf == nil {
		c.Logf = nop
	}
	if c.Warnf == nil {
		c.Warnf = nop
	}
	if c.Step == nil {
		c.Step = func(string) {}
	}
	return c
}

// login starts the browser and waits for the login.
func (s *loginRun) login(ctx context.Context) (*Result, error) {
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	res, err := s.wait(ctx)
	if err == nil && s.cfg.EnrollPasskey {
		res.Passkey, err = s.enrolledPasskey()
	}
	return res, err
}

// loginRun is one login's browser: its start, its window's events, its
// end.
type loginRun struct {
	cfg         Config
	bctx        context.Context
	allocCancel context.CancelFunc
	lock        *chrome.ProfileLock
	procs       *chrome.ProcGroup
	remote      *remotebrowser.Endpoint // a WebDriver session is deleted at the end
	closeOnce   sync.Once
	started     bool // the browser started and the page is attached

	// model is the page model of the wait, once it has begun; what the
	// person typed at its prompts is masked like the configured secrets.
	model *pagemodel.Model

	fatal chan error    // the first failure seen by the event listener
	wake  chan struct{} // a document arrived or loaded: probe now

	mu       sync.Mutex
	chain    []string // document URLs visited, in order
	docURL   map[network.RequestID]string
	nav      navigations   // the window's own (main frame) navigations
	setters  cookieSetters // which host set which cookie
	settling settling      // the main frame's requests that may change the page

	authenticator webauthn.AuthenticatorID // the virtual authenticator, if any
}

func (s *loginRun) lastURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.chain) == 0 {
		return s.cfg.Backend.Join(s.cfg.LoginPath)
	}
	return s.chain[len(s.chain)-1]
}

// onBackend reports whether raw is one of the backend's pages.
func (s *loginRun) onBackend(raw string) bool { return s.cfg.Backend.Contains(raw) }

func (s *loginRun) isLoginPage(raw string) bool { return s.cfg.Backend.IsPath(raw, s.cfg.LoginPath) }

func (s *loginRun) isCallback(raw string) bool {
	if s.cfg.CallbackPath == "" {
		return s.onBackend(raw) && !s.isLoginPage(raw)
	}
	return s.cfg.Backend.IsPath(raw, s.cfg.CallbackPath)
}

func since(t time.Time) string { return time.Since(t).Round(time.Millisecond).String() }
