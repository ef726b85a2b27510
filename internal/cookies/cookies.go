// Package cookies keeps the browser's cookies with their scope (a host-only
// cookie stays host-only), builds the Cookie header a browser would send to a
// URL, and writes cookie files for other tools.
package cookies

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/network"
)

// Cookie is one browser cookie, as clilogin keeps it.
type Cookie struct {
	Name     string    `json:"name"`
	Value    string    `json:"value"`
	Domain   string    `json:"domain"`           // without a leading dot
	HostOnly bool      `json:"host_only"`        // sent to Domain exactly, not its subdomains
	Path     string    `json:"path"`             // "/" when the browser gave none
	Expires  time.Time `json:"expires,omitzero"` // zero for a session cookie
	Secure   bool      `json:"secure,omitempty"` // HTTPS only
	HTTPOnly bool      `json:"http_only,omitempty"`
	SameSite string    `json:"same_site,omitempty"` // "Strict", "Lax", "None" or ""
}

// FromCDP converts cookies reported by Chrome's DevTools protocol. Chrome
// marks a domain cookie with a leading dot and a session cookie with an
// expiry of -1 (and Session true).
func FromCDP(in []*network.Cookie) []Cookie {
	out := make([]Cookie, 0, len(in))
	for _, c := range in {
		if c == nil {
			continue
		}
		k := Cookie{
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

// Expired reports whether the cookie has an expiry that is before now.
func (c Cookie) Expired(now time.Time) bool {
	return !c.Expires.IsZero() && !c.Expires.After(now)
}

// MatchesHost reports whether the cookie would be sent to host (a host name
// without port): exactly for a host-only cookie, and also to subdomains for
// a domain cookie.
func (c Cookie) MatchesHost(host string) bool {
	host = strings.ToLower(host)
	domain := strings.ToLower(c.Domain)
	if host == domain {
		return true
	}
	return !c.HostOnly && strings.HasSuffix(host, "."+domain)
}

// ForHost returns the cookies that are sent to host and not expired at now.
func ForHost(cs []Cookie, host string, now time.Time) []Cookie {
	var out []Cookie
	for _, c := range cs {
		if c.MatchesHost(host) && !c.Expired(now) {
			out = append(out, c)
		}
	}
	return out
}

// SetByOrigin returns the cookies that origin's port set, or whose port
// Chrome does not know (-1). Cookies ignore ports, so an IdP on the
// backend's host name but another port shares the backend's cookies in the
// browser; Chrome records each cookie's source port, which tells them apart.
func SetByOrigin(in []*network.Cookie, origin *url.URL) []*network.Cookie {
	port, err := strconv.ParseInt(origin.Port(), 10, 64)
	if err != nil {
		port = map[string]int64{"http": 80, "https": 443}[origin.Scheme]
	}
	var out []*network.Cookie
	for _, c := range in {
		if c != nil && (c.SourcePort == port || c.SourcePort <= 0) {
			out = append(out, c)
		}
	}
	return out
}
