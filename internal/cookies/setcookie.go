package cookies

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// FromResponse returns the cookies a response to a request for u sets, as
// a browser would store them (RFC 6265 §5.3): a cookie without Domain is
// host-only; a Domain that u's host does not domain-match, or that is a
// public suffix other than the host itself, is ignored; a cookie without
// Path gets u's default path. A cookie set with a past expiry or Max-Age<=0
// comes back expired, so that Merge deletes its stored twin.
func FromResponse(resp *http.Response, u *url.URL, now time.Time) []Cookie {
	host := strings.ToLower(u.Hostname())
	var out []Cookie
	for _, hc := range resp.Cookies() {
		c := Cookie{Name: hc.Name, Value: hc.Value, Domain: host, HostOnly: true, Path: hc.Path,
			Secure: hc.Secure, HTTPOnly: hc.HttpOnly, SameSite: sameSite(hc.SameSite)}
		if d := strings.TrimPrefix(strings.ToLower(hc.Domain), "."); d != "" && d != host {
			if !domainMatch(host, d) || isPublicSuffix(d) {
				continue
			}
			c.Domain, c.HostOnly = d, false
		} else if d != "" && !isPublicSuffix(d) {
			c.HostOnly = false // Domain=host: sent to subdomains too (a public suffix stays host-only)
		}
		if c.Path == "" || !strings.HasPrefix(c.Path, "/") {
			c.Path = defaultPath(u.Path)
		}
		switch {
		case hc.MaxAge < 0:
			c.Expires = now.Add(-time.Second)
		case hc.MaxAge > 0:
			c.Expires = now.Add(time.Duration(hc.MaxAge) * time.Second).UTC()
		case !hc.Expires.IsZero():
			c.Expires = hc.Expires.UTC()
			if !c.Expires.After(now) {
				c.Expires = now.Add(-time.Second)
			}
		}
		out = append(out, c)
	}
	return out
}

// Merge returns jar with set stored over it as a browser does: a cookie
// replaces the one with the same name, domain, host-only flag and path; an
// expired one deletes it.
func Merge(jar, set []Cookie, now time.Time) []Cookie {
	out := append([]Cookie{}, jar...)
	for _, c := range set {
		i := 0
		for _, old := range out {
			if !(old.Name == c.Name && strings.EqualFold(old.Domain, c.Domain) && old.HostOnly == c.HostOnly && old.Path == c.Path) {
				out[i] = old
				i++
			}
		}
		out = out[:i]
		if !c.Expired(now) {
			out = append(out, c)
		}
	}
	return out
}

func sameSite(s http.SameSite) string {
	switch s {
	case http.SameSiteStrictMode:
		return "Strict"
	case http.SameSiteLaxMode:
		return "Lax"
	case http.SameSiteNoneMode:
		return "None"
	}
	return ""
}

// domainMatch is RFC 6265's domain-match of host against domain.
func domainMatch(host, domain string) bool {
	if host == domain {
		return true
	}
	return net.ParseIP(host) == nil && strings.HasSuffix(host, "."+domain)
}

func isPublicSuffix(domain string) bool {
	ps, _ := publicsuffix.PublicSuffix(domain)
	return ps == domain
}

// defaultPath is RFC 6265's default-path of a request path.
func defaultPath(p string) string {
	if p == "" || p[0] != '/' {
		return "/"
	}
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return "/"
	}
	return p[:i]
}
