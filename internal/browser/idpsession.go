package browser

import (
	"context"
	"net/url"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/clilogin/clilogin/internal/cookies"
)

// restoreSession puts the identity provider's stored session cookies back
// into the browser before the login path is opened. Chrome drops cookies
// without an expiry when it starts again, and many IdPs keep their sign-in
// session in one; restored, the next login is silent.
func (s *loginRun) restoreSession(ctx context.Context) {
	if s.cfg.ClearCookies {
		s.clearCookies(ctx)
	}
	if len(s.cfg.IdPSession) == 0 {
		return
	}
	params := make([]*network.CookieParam, 0, len(s.cfg.IdPSession))
	for _, c := range s.cfg.IdPSession {
		scheme := "http"
		if c.Secure {
			scheme = "https"
		}
		p := &network.CookieParam{Name: c.Name, Value: c.Value, Path: c.Path, Secure: c.Secure,
			HTTPOnly: c.HTTPOnly, SameSite: network.CookieSameSite(c.SameSite)}
		if c.HostOnly { // a URL without a domain keeps the cookie host-only
			p.URL = (&url.URL{Scheme: scheme, Host: c.Domain, Path: c.Path}).String()
		} else {
			p.Domain = "." + c.Domain
		}
		if !c.Expires.IsZero() {
			p.Expires = cdp.TimeSinceEpoch(float64(c.Expires.UnixNano()) / 1e9)
		}
		params = append(params, p)
	}
	if _, err := chromedp.Call(ctx, network.SetCookies, network.SetCookiesParams{Cookies: params}); err != nil {
		s.cfg.Logf("could not restore the identity provider's session: %v", err)
		return
	}
	s.cfg.Logf("restored %d cookies of the identity provider's session", len(params))
}

// clearCookies clears the cookies of the login's browser: the profile's
// IdP session of another user would sign this login in without asking. A
// remote browser's login runs in a browser context of its own, new and
// empty, and the browser's other contexts are not clilogin's to clear.
func (s *loginRun) clearCookies(ctx context.Context) {
	if s.cfg.Remote != "" {
		return
	}
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		s.cfg.Logf("could not clear the browser's cookies: %v", err)
		return
	}
	s.cfg.Logf("cleared the browser's cookies: the identity provider asks who signs in")
}

// idpSession reads the cookies of every host the login passed through
// other than the backend: the identity provider's session, session-only
// cookies included. The backend's own cookies are never among them.
func (s *loginRun) idpSession(ctx context.Context, backend []cookies.Cookie) []cookies.Cookie {
	s.mu.Lock()
	seen := map[string]bool{}
	var urls []string
	for _, raw := range s.chain {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || s.onBackend(raw) {
			continue
		}
		origin := u.Scheme + "://" + u.Host + "/"
		if !seen[origin] {
			seen[origin] = true
			urls = append(urls, raw)
		}
	}
	s.mu.Unlock()
	if len(urls) == 0 {
		return nil
	}
	got, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: urls})
	if err != nil {
		s.cfg.Logf("could not read the identity provider's session: %v", err)
		return nil
	}
	isBackend := map[[3]string]bool{}
	for _, c := range backend {
		isBackend[[3]string{c.Name, c.Domain, c.Path}] = true
	}
	var out []cookies.Cookie
	for _, c := range cookiesFromCDP(got.Cookies) {
		if !isBackend[[3]string{c.Name, c.Domain, c.Path}] {
			out = append(out, c)
		}
	}
	return out
}
