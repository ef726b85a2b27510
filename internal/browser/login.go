// Package browser runs the browser side of a login: it starts Chrome in app
// mode on a persistent profile, opens the backend's login path, fills the
// IdP's forms when it has credentials, waits for the backend's success page,
// takes the backend's cookies and closes Chrome gracefully, so that the
// profile keeps the IdP's session for the next login.
//
// Chrome itself (finding it, starting and ending its processes, the profile's
// lock and preferences) is internal/chrome's, and the success marker (its
// parsing and the JS that matches it in the page) is internal/marker's. This
// package holds the login and, for now, the IdP page model (pages.go,
// probe.js, fill.go, wait.go, credpage.go).
package browser

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/chrome"
	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/marker"
	"github.com/clilogin/clilogin/internal/passkey"
	"github.com/clilogin/clilogin/internal/redact"
	"github.com/clilogin/clilogin/internal/remotebrowser"
)

//go:embed probe.js
var probeJS string

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
	// ClearCookies clears the profile's cookies before the login path is
	// opened (and restores no IdPSession): a stored IdP session of another
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
	// login's sign-in pages ask and nothing else answers (prompt.go).
	Prompt Prompter
}

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
	c.Step("browser start")
	// The browser lives in a context that no signal cancels: cancelling an
	// allocator kills Chrome before it writes its cookies. Signals and the
	// deadline end the wait instead, and the browser is closed gracefully.
	base := context.WithoutCancel(ctx)
	var allocCtx context.Context
	var allocCancel context.CancelFunc
	var lock *chrome.ProfileLock
	procs := &chrome.ProcGroup{}
	var ep *remotebrowser.Endpoint
	if c.Remote != "" {
		octx, cancel := context.WithDeadline(ctx, c.Deadline)
		var err error
		ep, err = remotebrowser.Open(octx, c.Remote, remotebrowser.Options{Insecure: c.InsecureRemote,
			Headless: c.Headless, BrowserArgs: c.BrowserArgs, Logf: c.Logf})
		cancel()
		if err != nil {
			return nil, err
		}
		// The URL is dialled as given: chromedp would otherwise swap it for
		// what /json/version on its host says (a Grid has none, and
		// browserless's drops the ?token=).
		// The dial may wait in a queue (browserless answers the handshake
		// when a session is free): it has the login's whole time.
		allocCtx, allocCancel = remote.NewAllocator(base, ep.WebSocket, remote.NoModifyURL, remote.WithDialTimeout(max(time.Until(c.Deadline), time.Second)))
	} else {
		bin, err := chrome.Find(c.Browser, c.Headless)
		if err != nil {
			return nil, err
		}
		if lock, err = chrome.LockProfile(c.Profile); err != nil {
			return nil, err
		}
		if err := chrome.QuietProfile(c.Profile); err != nil {
			c.Warnf("Chrome may offer to save the password: %v", err)
		}
		c.Logf("browser %s, profile %s", bin, c.Profile)
		allocCtx, allocCancel = chromedp.NewExecAllocator(base, allocatorOptions(bin, c, procs)...)
	}
	ctxOpts := []chromedp.ContextOption{chromedp.WithBrowserOption(chromedp.WithBrowserErrorf(func(string, ...any) {}))}
	if c.Remote != "" {
		// A browser context of its own, disposed of at the end: no cookie
		// of the login stays in the remote browser for its next user.
		ctxOpts = append(ctxOpts, chromedp.WithNewBrowserContext())
	}
	bctx, _ := chromedp.NewContext(allocCtx, ctxOpts...)
	s := &loginRun{cfg: c, bctx: bctx, allocCancel: allocCancel, lock: lock, procs: procs, remote: ep,
		fatal: make(chan error, 1), wake: make(chan struct{}, 1), docURL: map[network.RequestID]string{},
		nav: navigations{inFlight: map[network.RequestID]bool{}}}

	res, err := recovered(func() (*Result, error) { return s.login(ctx) })
	if err != nil {
		// What the IdP's page said may quote a secret: the error is masked
		// by the same secrets as the artifacts.
		secrets, serr := s.secrets()
		err = maskError(err, secrets)
		if c.Artifacts != "" {
			if aerr := s.saveArtifacts(c.Artifacts, err, secrets, serr); aerr != nil {
				c.Warnf("some artifacts were not written: %v", aerr)
			} else {
				c.Logf("artifacts written to %s", c.Artifacts)
			}
		}
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

// appPage is the first page of the app window. Chrome opens it before
// chromedp attaches; the login path is opened only once chromedp listens, so
// that no event of the login is missed and /login loads once.
const appPage = "data:text/html,%3Ctitle%3ESigning%20in%E2%80%A6%3C%2Ftitle%3E"

func allocatorOptions(bin string, c Config, procs *chrome.ProcGroup) []chromedp.ExecAllocatorOption {
	opts := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
	opts = append(opts,
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(c.Profile),
		chromedp.Flag("app", appPage),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("disable-features", "Translate,PasswordManagerOnboarding,AutofillServerCommunication"),
		// Chrome gets no CLILOGIN_* variable: not the password, not the
		// TOTP secret (its processes' environments are readable by the user).
		chromedp.NoInheritEnv, chromedp.Env(redact.Environ(os.Environ())...),
		// A process group (job object on Windows) of its own: a Ctrl-C at
		// the terminal reaches clilogin only, which closes Chrome
		// gracefully; Chrome still dies with clilogin (chrome/proc_*.go).
		chromedp.ModifyCmdFunc(procs.Prepare),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox, chromedp.Flag("test-type", true))
	}
	for _, a := range c.BrowserArgs {
		name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if name == "remote-debugging-port" {
			// With a DevTools port chromedp talks over it instead of the pipe.
			opts = append(opts, remote.WebSocket)
		}
		if ok {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	if !c.Headless {
		opts = append(opts, chromedp.VisibleWindow, chromedp.WindowSize(520, 720))
	}
	return opts
}

type loginRun struct {
	cfg         Config
	bctx        context.Context
	allocCancel context.CancelFunc
	lock        *chrome.ProfileLock
	procs       *chrome.ProcGroup
	remote      *remotebrowser.Endpoint // a WebDriver session is deleted at the end
	closeOnce   sync.Once
	started     bool // the browser started and the page is attached

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

// navigations follows the window's main frame: how many documents it has
// requested, which requests are still waiting for their answer, and when
// the last one ended. A page that is being left shows its old document
// until the new one arrives; what it shows then is no answer to an action.
type navigations struct {
	frame    cdp.FrameID // the main frame; its ID is the page target's
	count    int
	inFlight map[network.RequestID]bool
	ended    time.Time
}

// leaveGrace is how long after a navigation's answer the old document may
// still be shown before the new one commits (or stays, for a 204).
const leaveGrace = time.Second

// navigated is the number of documents the main frame has requested.
func (s *loginRun) navigated() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nav.count
}

// leaving says whether the main frame requested a document after the
// first n and may not have shown it yet.
func (s *loginRun) leaving(n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nav.count > n && (len(s.nav.inFlight) > 0 || time.Since(s.nav.ended) < leaveGrace)
}

// start starts the browser and attaches to its app window. No timeout is
// put on this first run (its expiry would kill Chrome); the deadline and
// ctx abandon it instead, and close kills what was started.
func (s *loginRun) start(ctx context.Context) error {
	t0 := time.Now()
	done := make(chan error, 1)
	go func() {
		// A panic in chromedp (it has panicked on a remote endpoint's
		// answer) is a failure to start, not a crash.
		defer func() {
			if r := recover(); r != nil {
				done <- panicError(r)
			}
		}()
		// Listen is the first run: it starts Chrome, attaches to the page and
		// subscribes to its events before anything is loaded.
		done <- chromedp.Listen(s.bctx, s.onEvent)
	}()
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	checked := make(chan error, 1)
	if s.cfg.Remote == "" {
		go func() { checked <- preflight(pctx, s.cfg.Backend.URL) }()
	} else {
		// A remote browser resolves and reaches the backend from its own
		// network, where names may differ from this machine's; it reports
		// an unknown host or a refused connection itself.
		checked = nil
	}
	timer := time.NewTimer(time.Until(s.cfg.Deadline))
	defer timer.Stop()
	for {
		select {
		case err := <-checked:
			if err != nil {
				return err
			}
			checked = nil
			continue
		case err := <-done:
			if err != nil && s.cfg.Remote != "" {
				return failure.New(failure.Browser, "check --remote-browser: a DevTools endpoint ws://… or http://host:port of a running Chrome, or a Selenium Grid",
					"cannot use the remote browser at %s: %s", redact.URL(s.cfg.Remote), s.remote.Redact(err.Error()))
			}
			if err != nil {
				return startError(err)
			}
			s.started = true
		case <-ctx.Done():
			return failure.Wrap(failure.Interrupted, "", errInterrupted)
		case <-timer.C:
			if s.cfg.Remote != "" {
				return failure.New(failure.Timeout, "the remote browser is busy or slow; raise --timeout",
					"timed out connecting to the remote browser")
			}
			return failure.New(failure.Timeout, "the browser is slow to start on this machine; raise --timeout",
				"timed out starting the browser")
		}
		s.cfg.Logf("browser started in %s", since(t0))
		return nil
	}
}

func startError(err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, chromedp.ErrNoDisplay):
		return failure.New(failure.Browser, "use --headless, or run under a display (e.g. xvfb-run clilogin …)",
			"a browser window needs a display, and DISPLAY is not set")
	case strings.Contains(msg, "target detached") || strings.Contains(msg, "target closed"):
		return failure.New(failure.Browser, "run clilogin login again and leave the window open until the login finishes",
			"the browser window was closed before the login finished")
	case strings.Contains(msg, "SingletonLock") || strings.Contains(msg, "ProcessSingleton") ||
		strings.Contains(msg, "existing browser session"):
		return failure.New(failure.Browser, "close the Chrome that uses this profile, or pass another --profile",
			"the browser profile is in use by another Chrome")
	}
	return failure.New(failure.Browser,
		"check that the browser runs (e.g. `chromium --version`); missing libraries are named above",
		"the browser failed to start: %w", err)
}

// close closes the browser gracefully so that it writes the profile,
// kills it when that takes too long, and unlocks the profile.
func (s *loginRun) close() {
	s.closeOnce.Do(func() {
		t0 := time.Now()
		if s.started { // else the start is abandoned: kill what it started
			ctx, cancel := context.WithTimeout(s.bctx, 5*time.Second)
			_ = chromedp.Cancel(ctx)
			cancel()
		}
		s.allocCancel() // waits for the process; kills it if still alive
		s.procs.End()   // and what is left of its group
		s.remote.Close()
		s.lock.Unlock()
		s.cfg.Logf("browser closed in %s", since(t0))
	})
}

// withPageText adds the start of the page's text to a failure seen in the
// network events (a callback's 500 says why in its body), waiting briefly
// for the page to show it.
func (s *loginRun) withPageText(ctx context.Context, err error) error {
	var fe *failure.Error
	if !errors.As(err, &fe) || fe.Kind == failure.Unreachable && strings.Contains(fe.Error(), "net::") {
		return err
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	enough := time.NewTimer(300 * time.Millisecond)
	defer enough.Stop()
	for {
		p, perr := s.run(ctx, nil)
		if perr == nil && p.Text != "" && s.onBackend(p.Href) && !strings.HasPrefix(p.Href, "data:") {
			text := excerptText(redact.Secrets(p.Text, s.cfg.Password, s.cfg.TOTPSecret))
			return &failure.Error{Kind: fe.Kind, Hint: fe.Hint, Err: fmt.Errorf("%w: %s", fe.Err, text)}
		}
		select { // the page's next event, or the next probe
		case <-enough.C:
			return err
		case <-ctx.Done():
			return err
		case <-s.wake:
		case <-tick.C:
		}
	}
}

// poke wakes the wait loop for a probe now.
func (s *loginRun) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *loginRun) report(err error) {
	select {
	case s.fatal <- err:
	default: // the first failure is enough
	}
}

// onEvent watches the documents the window loads. It runs in chromedp's
// event loop, so it only records and reports.
func (s *loginRun) onEvent(ev any) {
	s.noteSetter(ev)
	s.trackRequest(ev)
	switch e := ev.(type) {
	case *webauthn.EventCredentialAdded, *webauthn.EventCredentialAsserted:
		s.onPasskey(ev)
	case *page.EventDomContentEventFired, *page.EventLoadEventFired:
		s.poke()
	case *network.EventRequestWillBeSent:
		if e.Type != network.ResourceTypeDocument || e.Request == nil {
			return
		}
		s.mu.Lock()
		s.chain = append(s.chain, e.Request.URL)
		s.docURL[e.RequestID] = e.Request.URL
		if e.FrameID == s.nav.frame && !s.nav.inFlight[e.RequestID] { // a redirect keeps its request ID
			s.nav.count++
			s.nav.inFlight[e.RequestID] = true
		}
		s.mu.Unlock()
		if s.isCallback(e.Request.URL) {
			if u, err := url.Parse(e.Request.URL); err == nil && u.Query().Get("error") != "" {
				q := u.Query()
				msg := q.Get("error")
				if d := q.Get("error_description"); d != "" {
					msg += ": " + d
				}
				s.report(failure.New(failure.Refused, "the identity provider did not let this login through; sign in again or ask its owners",
					"the identity provider refused the login: %s", msg))
			}
		}
	case *network.EventResponseReceived:
		if e.Type != network.ResourceTypeDocument || e.Response == nil {
			return
		}
		s.navEnded(e.RequestID)
		s.poke()
		u, status := e.Response.URL, e.Response.Status
		switch {
		case s.isCallback(u) && status >= 400 && status < 500:
			s.report(failure.New(failure.Refused, "the backend did not accept the login; check its logs",
				"the backend's callback answered %d %s", status, e.Response.StatusText))
		case s.isCallback(u) && status >= 500:
			s.report(failure.New(failure.Unreachable, "the backend failed to finish the login; check its logs",
				"the backend's callback answered %d %s", status, e.Response.StatusText))
		case s.isLoginPage(u) && status >= 400:
			s.report(failure.New(failure.Unreachable, "check --backend and --login-path",
				"the backend's login path answered %d %s", status, e.Response.StatusText))
		case !s.onBackend(u) && status >= 500:
			s.report(failure.New(failure.Unreachable, "the identity provider is failing; try again later",
				"the identity provider answered %d %s at %s", status, e.Response.StatusText, redact.URL(u)))
		}
	case *network.EventLoadingFailed:
		if e.Type != network.ResourceTypeDocument {
			return
		}
		s.navEnded(e.RequestID)
		if e.Canceled || e.ErrorText == "net::ERR_ABORTED" {
			return
		}
		s.mu.Lock()
		u := s.docURL[e.RequestID]
		s.mu.Unlock()
		s.report(s.unreachable(u, e.ErrorText))
	}
}

// noteSetter records what cookieSetters needs from every network event,
// whatever the resource.
func (s *loginRun) noteSetter(ev any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		if e.RedirectResponse != nil {
			s.setters.response(e.RequestID, e.RedirectResponse)
		}
	case *network.EventResponseReceived:
		s.setters.response(e.RequestID, e.Response)
	case *network.EventResponseReceivedExtraInfo:
		s.setters.headers(e.RequestID, e.Headers)
	}
}

// setElsewhere is the cookies set during the login by hosts other than the
// backend's.
func (s *loginRun) setElsewhere() []cookies.Cookie {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.setters.elsewhere(s.cfg.Backend, time.Now())
}

// navEnded notes that a document request got its answer or failed.
func (s *loginRun) navEnded(id network.RequestID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nav.inFlight[id] {
		delete(s.nav.inFlight, id)
		s.nav.ended = time.Now()
	}
}

// unreachable says that the page at u (the backend or the IdP) could not be
// loaded, and why.
func (s *loginRun) unreachable(u, why string) error {
	who, hint := "the identity provider", "check that the identity provider is up and reachable from this machine"
	if s.onBackend(u) {
		who, hint = "the backend", "check that the backend is running and --backend is right"
	}
	host := redact.URL(u) // not parsed: shown masked
	if pu, err := url.Parse(u); err == nil && pu.Host != "" {
		host = pu.Host
	}
	return failure.New(failure.Unreachable, hint, "cannot reach %s at %s: %s", who, host, why)
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

func excerptText(t string) string {
	if r := []rune(t); len(r) > 160 {
		return string(r[:160]) + "…"
	}
	return t
}

func since(t time.Time) string { return time.Since(t).Round(time.Millisecond).String() }
