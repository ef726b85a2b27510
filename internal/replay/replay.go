// Package replay signs in again without a browser: it walks the backend's
// login over plain HTTP with the identity provider's stored session
// cookies. When the IdP's session is alive, the login is a chain of
// redirects (the login path, the IdP's authorize endpoint, the callback),
// and a browser adds nothing to it but its start-up time. At any other
// stop (a form, a consent page, a page that needs JavaScript, an error)
// the replay gives up and the caller runs the browser login.
package replay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/hop"
	"github.com/clilogin/clilogin/internal/loopback"
	"github.com/clilogin/clilogin/internal/marker"
	"github.com/clilogin/clilogin/internal/redact"
)

// MaxHops is the longest redirect chain followed.
const MaxHops = 20

// Config is one replay.
type Config struct {
	Backend      *backend.Backend
	LoginPath    string
	CallbackPath string // "" accepts the marker on any backend page after the IdP
	Marker       marker.Marker
	IdPSession   []cookies.Cookie // the IdP's stored session cookies
	// Client sends the requests; its redirects are not followed (each
	// hop is the replay's own). Nil uses one that honours HTTPS_PROXY.
	Client *http.Client
	Now    func() time.Time
	Logf   func(format string, args ...any)
}

// Result is a finished replay.
type Result struct {
	Backend    []cookies.Cookie // the backend's cookies after the callback
	IdPSession []cookies.Cookie // the IdP's session, as refreshed along the way
	Hops       []string         // the URLs visited, redacted
}

// ErrFallback marks every stop at which the browser login may still
// succeed; its message says why the replay gave up.
var ErrFallback = errors.New("replay: the browser is needed")

// jarCookie is a cookie and whether the backend set it.
type jarCookie struct {
	cookies.Cookie
	backend bool
}

// Run replays the login. It returns an error wrapping ErrFallback when the
// browser is needed, and a classified failure when the backend is broken
// in a way a browser would not mend (its callback answers 5xx).
func Run(ctx context.Context, c Config) (Result, error) {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	noFollow := hop.NoFollow(c.Client)

	jar := make([]jarCookie, 0, len(c.IdPSession))
	for _, k := range c.IdPSession {
		jar = append(jar, jarCookie{Cookie: k})
	}
	var res Result
	next := c.Backend.Join(c.LoginPath)
	sawIdP := false
	for hop := 0; hop <= MaxHops; hop++ {
		u, err := url.Parse(next)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return res, fmt.Errorf("%w: a redirect to %q", ErrFallback, redact.URL(next))
		}
		onBackend := c.Backend.Contains(u.String())
		if u.Scheme == "http" && !onBackend && !loopback.Host(u.Hostname()) {
			return res, fmt.Errorf("%w: a redirect to http:// on %s, which is not loopback; not followed in clear text", ErrFallback, u.Host)
		}
		sawIdP = sawIdP || !onBackend
		res.Hops = append(res.Hops, redact.URL(u.String()))
		resp, body, err := get(ctx, noFollow, u, plain(jar), c.Now())
		if err != nil {
			if ctx.Err() != nil {
				return res, err
			}
			return res, fmt.Errorf("%w: %s: %v", ErrFallback, u.Host, err)
		}
		set := cookies.FromResponse(resp, u, c.Now())
		for _, k := range set {
			jar = merge(jar, jarCookie{Cookie: k, backend: onBackend}, c.Now())
		}
		c.Logf("replay %d: %s answered %d (%d cookies set)", hop, redact.URL(u.String()), resp.StatusCode, len(set))
		// Without a callback path, any backend page after the IdP is one.
		callback := onBackend && (c.CallbackPath == "" && sawIdP || c.Backend.IsPath(u.String(), c.CallbackPath))
		switch code := resp.StatusCode; {
		case code == 301 || code == 302 || code == 303 || code == 307 || code == 308:
			loc, err := u.Parse(resp.Header.Get("Location"))
			if err != nil || resp.Header.Get("Location") == "" {
				return res, fmt.Errorf("%w: %s redirected nowhere", ErrFallback, redact.URL(u.String()))
			}
			next = loc.String()
			continue
		case code >= 500 && callback:
			return res, failure.New(failure.Unreachable, "the backend failed to finish the login; check its logs",
				"the backend's callback answered %s", resp.Status)
		case code != http.StatusOK: // a 4xx, or anything else a browser would have to handle
			return res, fmt.Errorf("%w: %s answered %s", ErrFallback, redact.URL(u.String()), resp.Status)
		}
		if onBackend && (sawIdP || callback) {
			ok, err := c.Marker.MatchHTML(body)
			if err != nil {
				return res, fmt.Errorf("%w: %v", ErrFallback, err)
			}
			if ok {
				for _, k := range jar {
					if k.Expired(c.Now()) {
						continue
					}
					if k.backend {
						res.Backend = append(res.Backend, k.Cookie)
					} else {
						res.IdPSession = append(res.IdPSession, k.Cookie)
					}
				}
				return res, nil
			}
		}
		return res, fmt.Errorf("%w: %s answered a page that is not the success page (%s)", ErrFallback,
			redact.URL(u.String()), describe(resp, body))
	}
	return res, fmt.Errorf("%w: more than %d redirects", ErrFallback, MaxHops)
}

// get sends one request of the chain with the cookies RFC 6265 gives it.
func get(ctx context.Context, client *http.Client, u *url.URL, jar []cookies.Cookie, now time.Time) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	if h := cookies.Header(jar, u, now); h != "" {
		req.Header.Set("Cookie", h)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
	resp, body, err := hop.Do(client, req) // without the URL: the caller says it, redacted
	if err != nil {
		return nil, nil, err
	}
	return resp, body, nil
}

func plain(jar []jarCookie) []cookies.Cookie {
	out := make([]cookies.Cookie, len(jar))
	for i, k := range jar {
		out[i] = k.Cookie
	}
	return out
}

// merge stores k in the jar as cookies.Merge does, keeping who set it.
func merge(jar []jarCookie, k jarCookie, now time.Time) []jarCookie {
	kept := cookies.Merge(plain(jar), []cookies.Cookie{k.Cookie}, now)
	out := make([]jarCookie, 0, len(kept))
	for _, c := range kept {
		backend := false
		for _, old := range jar {
			if old.Cookie == c {
				backend = old.backend
			}
		}
		if c == k.Cookie {
			backend = k.backend
		}
		out = append(out, jarCookie{Cookie: c, backend: backend})
	}
	return out
}

// describe says what a page that stopped the replay is, without its text.
func describe(resp *http.Response, body []byte) string {
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		ct = "no content type"
	}
	lower := strings.ToLower(string(body))
	switch {
	case strings.Contains(lower, `type="password"`) || strings.Contains(lower, "type=password"):
		return ct + ", a sign-in form"
	case strings.Contains(lower, "<form"):
		return ct + ", a form"
	case strings.Contains(lower, "<script"):
		return ct + ", a page with scripts"
	}
	return ct
}
