// Package cookies converts the browser's cookies into cookies an HTTP client
// can send, keeping their scope: a host-only cookie stays host-only, and the
// cookies go to the backend's origin and nowhere else.
package cookies

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
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

// HTTP returns the cookie as net/http sends it to the host it came from.
// A host-only cookie has no Domain attribute, so a jar keeps it host-only.
func (c Cookie) HTTP() *http.Cookie {
	h := &http.Cookie{
		Name:     c.Name,
		Value:    c.Value,
		Path:     c.Path,
		Secure:   c.Secure,
		HttpOnly: c.HTTPOnly,
		Expires:  c.Expires,
	}
	if !c.HostOnly {
		h.Domain = c.Domain
	}
	switch c.SameSite {
	case "Strict":
		h.SameSite = http.SameSiteStrictMode
	case "Lax":
		h.SameSite = http.SameSiteLaxMode
	case "None":
		h.SameSite = http.SameSiteNoneMode
	}
	return h
}

// Jar returns a cookie jar holding the cookies that belong to target's host,
// set for target, so that an HTTP client sends them to that origin only. It
// fails when none of the cookies belongs to the host.
func Jar(target *url.URL, cs []Cookie, now time.Time) (http.CookieJar, error) {
	jar, err := cookiejar.New(nil) // no public suffix list: cookies are for one host
	if err != nil {
		return nil, fmt.Errorf("cookies: %w", err)
	}
	var hc []*http.Cookie
	for _, c := range ForHost(cs, target.Hostname(), now) {
		hc = append(hc, c.HTTP())
	}
	if len(hc) == 0 {
		return nil, fmt.Errorf("cookies: none of %d cookies belongs to %s", len(cs), target.Hostname())
	}
	jar.SetCookies(target, hc)
	return jar, nil
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
