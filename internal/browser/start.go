package browser

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"

	"github.com/clilogin/clilogin/internal/chrome"
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/redact"
	"github.com/clilogin/clilogin/internal/remotebrowser"
)

// newLoginRun gets the login a browser, local or remote, not started yet
// (start starts it).
func newLoginRun(ctx context.Context, c Config) (*loginRun, error) {
	// The browser lives in a context that no signal cancels: cancelling an
	// allocator kills Chrome before it writes its cookies. Signals and the
	// deadline end the wait instead, and the browser is closed gracefully.
	base := context.WithoutCancel(ctx)
	s := &loginRun{cfg: c, procs: &chrome.ProcGroup{},
		fatal: make(chan error, 1), wake: make(chan struct{}, 1), docURL: map[network.RequestID]string{},
		nav: navigations{inFlight: map[network.RequestID]bool{}}}
	var allocCtx context.Context
	var err error
	if c.Remote != "" {
		allocCtx, err = s.remoteAllocator(ctx, base)
	} else {
		allocCtx, err = s.localAllocator(base)
	}
	if err != nil {
		return nil, err
	}
	ctxOpts := []chromedp.ContextOption{chromedp.WithBrowserOption(chromedp.WithBrowserErrorf(func(string, ...any) {}))}
	if c.Remote != "" {
		// A browser context of its own, disposed of at the end: no cookie
		// of the login stays in the remote browser for its next user.
		ctxOpts = append(ctxOpts, chromedp.WithNewBrowserContext())
	}
	s.bctx, _ = chromedp.NewContext(allocCtx, ctxOpts...)
	return s, nil
}

// remoteAllocator opens the remote browser's endpoint (a WebDriver
// session, for a Grid) and dials its DevTools WebSocket.
func (s *loginRun) remoteAllocator(ctx, base context.Context) (context.Context, error) {
	c := s.cfg
	octx, cancel := context.WithDeadline(ctx, c.Deadline)
	ep, err := remotebrowser.Open(octx, c.Remote, remotebrowser.Options{Insecure: c.InsecureRemote,
		Headless: c.Headless, BrowserArgs: c.BrowserArgs, Logf: c.Logf})
	cancel()
	if err != nil {
		return nil, err
	}
	s.remote = ep
	// The URL is dialled as given: chromedp would otherwise swap it for
	// what /json/version on its host says (a Grid has none, and
	// browserless's drops the ?token=).
	// The dial may wait in a queue (browserless answers the handshake
	// when a session is free): it has the login's whole time.
	allocCtx, allocCancel := remote.NewAllocator(base, ep.WebSocket, remote.NoModifyURL, remote.WithDialTimeout(max(time.Until(c.Deadline), time.Second)))
	s.allocCancel = allocCancel
	return allocCtx, nil
}

// localAllocator finds the browser, locks its profile and prepares its
// start.
func (s *loginRun) localAllocator(base context.Context) (context.Context, error) {
	c := s.cfg
	bin, err := chrome.Find(c.Browser, c.Headless)
	if err != nil {
		return nil, err
	}
	if s.lock, err = chrome.LockProfile(c.Profile); err != nil {
		return nil, err
	}
	if err := chrome.QuietProfile(c.Profile); err != nil {
		c.Warnf("Chrome may offer to save the password: %v", err)
	}
	c.Logf("browser %s, profile %s", bin, c.Profile)
	allocCtx, allocCancel := chromedp.NewExecAllocator(base, allocatorOptions(bin, c, s.procs)...)
	s.allocCancel = allocCancel
	return allocCtx, nil
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
