package browser

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"

	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/pagemodel"
	"github.com/clilogin/clilogin/internal/redact"
)

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
			text := pagemodel.Excerpt(redact.Secrets(p.Text, s.given()...))
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
