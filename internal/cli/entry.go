package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/url"
	"path"
	"strings"

	"golang.org/x/net/idna"
)

// canonicalBackend is the one spelling of a backend URL that names its
// cache entry: scheme and host in lower case, an international host name in
// its ASCII (punycode) form, the scheme's default port dropped, and the base
// path cleaned, without a trailing slash. Percent-escapes in the path are
// kept as written: /a%2Fb and /a/b may be different backends.
func canonicalBackend(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if ip := net.ParseIP(host); ip != nil {
		host = ip.String()
	} else if ascii, err := idna.Lookup.ToASCII(host); err == nil {
		host = ascii
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" && port != map[string]string{"http": "80", "https": "443"}[scheme] {
		host += ":" + port
	}
	p := u.EscapedPath()
	if p != "" {
		p = path.Clean("/" + p)
	}
	return scheme + "://" + host + strings.TrimSuffix(p, "/")
}

// entryName names a backend's cache entry: a readable prefix (scheme, host,
// port) and the SHA-256 of the canonical URL, so that two backends never
// share an entry, whatever their URLs have in common once reduced to
// file-name characters.
func entryName(u *url.URL) string {
	canon := canonicalBackend(u)
	sum := sha256.Sum256([]byte(canon))
	return readablePrefix(u) + "-" + hex.EncodeToString(sum[:])
}

// readablePrefix is scheme_host_port in file-name characters, at most 64.
func readablePrefix(u *url.URL) string {
	host := strings.TrimPrefix(canonicalBackend(&url.URL{Scheme: u.Scheme, Host: u.Host}), strings.ToLower(u.Scheme)+"://")
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-':
			return r
		}
		return '_'
	}, strings.ToLower(u.Scheme)+"_"+hostPortOf(u.Scheme, host))
	return name[:min(len(name), 64)]
}

// hostPortOf is host_port with the scheme's default port made explicit.
func hostPortOf(scheme, host string) string {
	if h, p, err := net.SplitHostPort(host); err == nil {
		return strings.Trim(h, "[]") + "_" + p
	}
	return strings.Trim(host, "[]") + "_" + map[string]string{"http": "80", "https": "443"}[strings.ToLower(scheme)]
}

// legacyEntryName is the entry name of clilogin versions before the hashed
// names; logout removes such a file too.
func legacyEntryName(u *url.URL) string {
	name := u.Scheme + "_" + strings.Trim(strings.ToLower(u.Host), "[]") + strings.TrimSuffix(u.Path, "/")
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			return r
		}
		return '_'
	}, name)
}

// sameBackend reports whether a cache entry's recorded backend is u.
func sameBackend(recorded string, u *url.URL) bool {
	r, err := url.Parse(recorded)
	return err == nil && r.Host != "" && canonicalBackend(r) == canonicalBackend(u)
}
