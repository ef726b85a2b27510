package browser

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/network"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/cookies"
)

// cookiesFromCDP converts cookies reported by Chrome's DevTools protocol. Chrome
// marks a domain cookie with a leading dot and a session cookie with an
// expiry of -1 (and Session true).
func cookiesFromCDP(in []*network.Cookie) []cookies.Cookie {
	out := make([]cookies.Cookie, 0, len(in))
	for _, c := range in {
		if c == nil {
			continue
		}
		k := cookies.Cookie{
			Name:     c.Name,
			Value:    c.Value,
			Domain:   strings.TrimPrefix(c.Domain, "."),
			HostOnly: !strings.HasPrefix(c.Domain, "."),
			Path:     c.Path,
			Secure:   c.Secure,
			HTTPOnly: c.HTTPOnly,
			SameSite: string(c.SameSite),
		}
		if k.Path == "" {
			k.Path = "/"
		}
		if !c.Session && c.Expires > 0 {
			sec := int64(c.Expires)
			k.Expires = time.Unix(sec, int64((c.Expires-float64(sec))*1e9)).UTC()
		}
		out = append(out, k)
	}
	return out
}

// setByOrigin returns the cookies that origin's port set, or whose port
// Chrome does not know (-1), leaving out those another host set. Cookies
// ignore ports, so an IdP on the backend's host name but another port
// shares the backend's cookies in the browser; Chrome records each cookie's
// source port, which tells them apart. Cookies of a parent domain are sent
// to every host under it: an IdP at idp.corp.test may set one for
// corp.test, which the backend app.corp.test then receives, but it is the
// IdP's all the same. The rule is the replay's: a cookie belongs to the
// host that set it. So a cookie is left out while it holds a value that a
// host other than the backend's set (elsewhere: from the Set-Cookie headers
// of the login's responses, see cookieSetters), or the value restored from
// the IdP's stored session (restored: a host-only one was set for the
// scheme's default port, which may be the backend's).
func setByOrigin(in []*network.Cookie, origin *backend.Backend, restored, elsewhere []cookies.Cookie) []*network.Cookie {
	port, err := strconv.ParseInt(origin.Port(), 10, 64)
	if err != nil {
		port = map[string]int64{"http": 80, "https": 443}[origin.Scheme]
	}
	notBackends := func(c *network.Cookie) bool {
		hostOnly := !strings.HasPrefix(c.Domain, ".")
		domain := strings.TrimPrefix(c.Domain, ".")
		for _, r := range append(restored[:len(restored):len(restored)], elsewhere...) {
			if r.HostOnly == hostOnly && r.Name == c.Name && r.Value == c.Value &&
				strings.EqualFold(r.Domain, domain) && r.Path == c.Path {
				return true
			}
		}
		return false
	}
	var out []*network.Cookie
	for _, c := range in {
		if c != nil && (c.SourcePort == port || c.SourcePort <= 0) && !notBackends(c) {
			out = append(out, c)
		}
	}
	return out
}

// cookieSetters pairs the network responses of the login with the
// Set-Cookie headers Chrome reports for them, to tell which host set a
// cookie. A response's URL comes with responseReceived (or, for a redirect,
// with the next requestWillBeSent) and its raw headers with
// responseReceivedExtraInfo; both keep the request's ID along a redirect
// chain and come in the chain's order, so the n-th of each belong together.
type cookieSetters struct {
	urls map[network.RequestID][]string
	sets map[network.RequestID][]string // the Set-Cookie lines, "\n"-separated
}

// response notes a response's URL, if it came from the network: a cached
// one has no raw headers.
func (cs *cookieSetters) response(id network.RequestID, r *network.Response) {
	if r == nil || r.FromDiskCache || r.FromServiceWorker || r.FromPrefetchCache || r.FromEarlyHints ||
		!strings.HasPrefix(r.URL, "http://") && !strings.HasPrefix(r.URL, "https://") {
		return
	}
	if cs.urls == nil {
		cs.urls = map[network.RequestID][]string{}
	}
	cs.urls[id] = append(cs.urls[id], r.URL)
}

// headers notes a response's raw headers.
func (cs *cookieSetters) headers(id network.RequestID, h network.Headers) {
	if cs.sets == nil {
		cs.sets = map[network.RequestID][]string{}
	}
	var lines string
	for k, v := range h {
		if s, ok := v.(string); ok && strings.EqualFold(k, "set-cookie") {
			lines = s
		}
	}
	cs.sets[id] = append(cs.sets[id], lines)
}

// elsewhere returns the cookies set by responses from a host other than
// origin's (scheme, host and port), as stored by RFC 6265's rules.
func (cs *cookieSetters) elsewhere(origin *backend.Backend, now time.Time) []cookies.Cookie {
	var out []cookies.Cookie
	for id, urls := range cs.urls {
		sets := cs.sets[id]
		for i := 0; i < len(urls) && i < len(sets); i++ {
			u, err := url.Parse(urls[i])
			if err != nil || sets[i] == "" || origin.SameOrigin(u) {
				continue
			}
			resp := &http.Response{Header: http.Header{"Set-Cookie": strings.Split(sets[i], "\n")}}
			out = append(out, cookies.FromResponse(resp, u, now)...)
		}
	}
	return out
}
