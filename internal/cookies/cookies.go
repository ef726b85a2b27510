// Package cookies keeps the browser's cookies with their scope (a host-only
// cookie stays host-only), builds the Cookie header a browser would send to a
// URL, and writes cookie files for other tools.
package cookies

import (
	"strings"
	"time"
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
