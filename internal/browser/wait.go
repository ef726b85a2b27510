package browser

import (
	"context"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/pagemodel"
	"github.com/clilogin/clilogin/internal/redact"
)

// wait opens the login path and follows the login to the success page: it
// probes the page, lets the page model act on the IdP's pages, and ends at the
// success marker on the backend.
func (s *loginRun) wait(ctx context.Context) (*Result, error) {
	wctx, wcancel := context.WithCancelCause(s.bctx)
	defer wcancel(nil)
	timer := time.AfterFunc(time.Until(s.cfg.Deadline), func() { wcancel(errTimedOut) })
	defer timer.Stop()
	stop := context.AfterFunc(ctx, func() { wcancel(errInterrupted) })
	defer stop()

	t0 := time.Now()
	s.cfg.Step("idp page")
	if err := s.open(wctx); err != nil {
		return nil, err
	}

	f := s.pageModel()
	s.model = f
	step := "idp page"
	var last pagemodel.Probe
	waiting := false
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		select {
		case err := <-s.fatal:
			return nil, s.withPageText(wctx, err)
		case <-wctx.Done():
			return nil, s.waitError(wctx, context.Cause(wctx))
		case <-tick.C:
		case <-s.wake:
		}
		p, err := s.run(wctx, nil)
		if err != nil {
			if err := s.remoteGone(wctx, err); err != nil {
				return nil, err
			}
			continue // the page is changing; probe again
		}
		if p.Href != last.Href || p.Kind != last.Kind {
			s.cfg.Logf("at %s%s (%s)", redact.URL(p.Href), kindNote(p.Kind), since(t0))
		}
		last = p
		if strings.HasPrefix(p.Href, "chrome-error://") {
			return nil, s.errorPage()
		}
		onBackend := s.onBackend(p.Href)
		if onIdP := !onBackend && !strings.HasPrefix(p.Href, "data:"); onIdP && step == "idp page" {
			step = "form"
			s.cfg.Step(step)
		} else if onBackend && step == "form" {
			step = "callback"
			s.cfg.Step(step)
		}
		if onBackend {
			if p.Marker && s.successAt(p) {
				s.cfg.Logf("success marker %s found at %s (%s)", s.cfg.Marker, redact.URL(p.Href), since(t0))
				res, err := s.finish(wctx, p.Href)
				if res != nil {
					res.FilledSignIn = f.FilledSignIn()
				}
				return res, err
			}
			continue
		}
		if strings.HasPrefix(p.Href, "data:") {
			continue
		}
		if err := f.Step(wctx, p); err != nil {
			return nil, err
		}
		if f.Person() && !waiting && s.cfg.Waiting != nil {
			waiting = true
			s.cfg.Waiting()
		}
	}
}

// open prepares the window (the IdP's session, the authenticator, the
// settle watcher) and opens the login path.
func (s *loginRun) open(ctx context.Context) error {
	s.restoreSession(ctx)
	loginURL := s.cfg.Backend.Join(s.cfg.LoginPath)
	s.mu.Lock()
	s.nav.frame = cdp.FrameID(chromedp.FromContext(ctx).Target.TargetID)
	s.mu.Unlock()
	if err := s.addAuthenticator(ctx); err != nil {
		return err
	}
	if err := s.installWatcher(ctx); err != nil {
		return s.waitError(ctx, err)
	}
	s.cfg.Logf("opening %s", redact.URL(loginURL))
	nav, err := chromedp.Call(ctx, page.Navigate, page.NavigateParams{URL: loginURL})
	if err != nil {
		return s.waitError(ctx, err)
	}
	if nav.ErrorText != "" { // the login path or a redirect after it failed to load
		return s.unreachable(s.lastURL(), nav.ErrorText)
	}
	return nil
}

// errorPage is the error of a network error page: the network event that
// says why, when there is one. Chromium sends the document's loadingFailed
// before it commits the error page, and chromedp runs the listeners of the
// events in the order they come, before the probe that sees the page
// returns: the event's error, if any, is already waiting.
func (s *loginRun) errorPage() error {
	select {
	case err := <-s.fatal:
		return err
	default:
	}
	return s.unreachable(s.lastURL(), "the browser showed a network error page")
}

func kindNote(kind string) string {
	if kind == "" {
		return ""
	}
	return ", a " + kind + " page"
}

// successAt says whether the marker on the backend page p ends the login.
// On any page but the login path it does. On the login path too once the
// browser has been to the IdP (a backend such as mod_auth_openidc sends it
// back to the URL first asked for), or when the login path answered the
// marker itself (already signed in), once its document has loaded.
func (s *loginRun) successAt(p pagemodel.Probe) bool {
	return !s.isLoginPage(p.Href) || s.visitedIdP() || p.Ready == "complete"
}

// visitedIdP says whether the window has requested a document off the
// backend (redirects included) during this login.
func (s *loginRun) visitedIdP() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.chain {
		if !s.onBackend(u) && !strings.HasPrefix(u, "data:") {
			return true
		}
	}
	return false
}

// documents is the number of documents the window has requested so far.
func (s *loginRun) documents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.chain)
}

// finish takes the backend's cookies.
func (s *loginRun) finish(ctx context.Context, href string) (*Result, error) {
	got, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: s.cfg.CookieURLs})
	if err != nil {
		return nil, s.waitError(ctx, err)
	}
	cs := cookiesFromCDP(setByOrigin(got.Cookies, s.cfg.Backend, s.cfg.IdPSession, s.setElsewhere()))
	idp := s.idpSession(ctx, cs)
	s.cfg.Logf("took %d backend cookies and %d of the identity provider's session", len(cs), len(idp))
	return &Result{Cookies: cs, IdPSession: idp, URL: redact.URL(href)}, nil
}

// waitError explains why the wait ended without success.
func (s *loginRun) waitError(ctx context.Context, err error) error {
	switch context.Cause(ctx) {
	case errTimedOut:
		return failure.New(failure.Timeout,
			"finish the sign-in sooner, check --success, or raise --timeout",
			"timed out waiting for the login to finish; last page: %s", redact.URL(s.lastURL()))
	case errInterrupted:
		return failure.Wrap(failure.Interrupted, "", errInterrupted)
	}
	if s.bctx.Err() != nil { // the browser went away on its own
		if s.cfg.Headless {
			return failure.New(failure.Browser, "run again; if it keeps happening, run with -v",
				"the browser exited before the login finished")
		}
		return failure.New(failure.Browser, "run clilogin login again and finish the sign-in in the window",
			"the browser window was closed before the login finished")
	}
	return failure.New(failure.Browser, "", "the browser stopped answering: %w", err)
}
