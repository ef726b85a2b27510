package browser

import (
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
// Chrome does not know (-1). Cookies ignore ports, so an IdP on the
// backend's host name but another port shares the backend's cookies in the
// browser; Chrome records each cookie's source port, which tells them apart.
// A host-only cookie of the IdP's session restored before the login
// (restored) is left out while it holds the restored value: it was set for
// the scheme's default port, which may be the backend's.
func setByOrigin(in []*network.Cookie, origin *backend.Backend, restored []cookies.Cookie) []*network.Cookie {
	port, err := strconv.ParseInt(origin.Port(), 10, 64)
	if err != nil {
		port = map[string]int64{"http": 80, "https": 443}[origin.Scheme]
	}
	wasRestored := func(c *network.Cookie) bool {
		for _, r := range restored {
			if r.HostOnly && !strings.HasPrefix(c.Domain, ".") && r.Name == c.Name && r.Value == c.Value &&
				strings.EqualFold(r.Domain, c.Domain) && r.Path == c.Path {
				return true
			}
		}
		return false
	}
	var out []*network.Cookie
	for _, c := range in {
		if c != nil && (c.SourcePort == port || c.SourcePort <= 0) && !wasRestored(c) {
			out = append(out, c)
		}
	}
	return out
}
