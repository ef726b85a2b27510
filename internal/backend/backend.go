// Package backend is the web backend clilogin signs in to, and everything
// clilogin derives from its URL, in one place: paths joined to its base,
// which URLs are the backend's, the loopback rule, the names of its browser
// profile and cache entry, and the URLs whose cookies are its own.
package backend

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/clilogin/clilogin/internal/escape"
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/loopback"
)

// Backend is a backend's URL: scheme, host, optional port and base path
// (without a trailing slash). It embeds the URL for reading; it is never
// changed after Parse.
type Backend struct {
	*url.URL
}

// Parse checks a --backend value: an http:// or https:// URL with a host,
// no user info, query or fragment; http:// only on loopback unless
// insecureHTTP. Its errors are usage failures.
func Parse(raw string, insecureHTTP bool) (*Backend, error) {
	hint := "pass the backend as scheme://host[:port][/base], e.g. https://api.example.com"
	u, err := url.Parse(raw)
	if err != nil {
		return nil, failure.New(failure.Usage, hint, "--backend %q is not a URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, failure.New(failure.Usage, hint, "--backend %q must start with https:// or http://", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, failure.New(failure.Usage, hint, "--backend %q has no host", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, failure.New(failure.Usage, hint, "--backend must not hold user info, a query or a fragment")
	}
	if u.Scheme == "http" && !insecureHTTP && !loopback.Host(u.Hostname()) {
		return nil, failure.New(failure.Usage, "use https://, or pass --insecure-http if you accept sending the session in clear text",
			"--backend %s uses http:// on a host that is not loopback", u.Redacted())
	}
	// The trailing slash goes in the escaped form: /a%2F keeps its
	// escaped slash, /a/ becomes /a.
	if p := u.EscapedPath(); strings.HasSuffix(p, "/") {
		p = strings.TrimSuffix(p, "/")
		if u.Path, err = url.PathUnescape(p); err != nil {
			return nil, failure.New(failure.Usage, hint, "--backend %q has a bad path: %v", raw, err)
		}
		u.RawPath = p
	}
	return &Backend{URL: u}, nil
}

// MustParse is Parse for URLs known to be good, as in tests.
func MustParse(raw string) *Backend {
	b, err := Parse(raw, true)
	if err != nil {
		panic(err)
	}
	return b
}

// Join returns the backend URL of path (e.g. /user/token) under its base
// path.
func (b *Backend) Join(p string) string {
	u := *b.URL
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + strings.TrimPrefix(p, "/")
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return u.String()
}

// Origin is scheme://host[:port].
func (b *Backend) Origin() string { return b.Scheme + "://" + b.Host }

// Contains reports whether raw is the backend's: the same scheme, host and
// port, and a path at or under the base path once its dot segments are
// resolved (/app holds /app and /app/x, not /application nor /app/../x).
func (b *Backend) Contains(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || !b.SameOrigin(u) {
		return false
	}
	// Dot segments resolved, as a browser does: /app/%2e%2e/x is /x.
	p := path.Clean("/" + u.Path)
	base := strings.TrimSuffix(b.Path, "/")
	return base == "" || p == base || strings.HasPrefix(p, base+"/")
}

// SameOrigin reports whether u has the backend's scheme, host and port,
// however spelled: a browser shows https://h:443 as https://h, and an
// international host name in its ASCII form.
func (b *Backend) SameOrigin(u *url.URL) bool {
	return u.Host != "" && originKey(u) == originKey(b.URL)
}

// originKey is scheme://host:port with the port always there, the host in
// lower case and, a name, in its ASCII form. An IP address is kept as
// written: [::ffff:127.0.0.1] is not the origin 127.0.0.1 to a browser.
func originKey(u *url.URL) string {
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if net.ParseIP(host) == nil {
		if ascii, err := idna.Lookup.ToASCII(host); err == nil {
			host = ascii
		}
	}
	if port == "" {
		port = defaultPort(scheme)
	}
	return scheme + "://[" + host + "]:" + port
}

// IsPath reports whether raw is the backend's page at path (a trailing
// slash aside), whatever its query.
func (b *Backend) IsPath(raw, p string) bool {
	if p == "" || !b.Contains(raw) {
		return false
	}
	u, _ := url.Parse(raw) // Contains parsed it
	want, _ := url.Parse(b.Join(p))
	return path.Clean("/"+u.Path) == path.Clean("/"+want.Path)
}

// CookieURLs are the backend URLs whose cookies are the backend's: its base
// and each of paths (so that cookies scoped to a path come too).
func (b *Backend) CookieURLs(paths ...string) []string {
	urls := []string{b.Join("/")}
	for _, p := range paths {
		if p != "" {
			urls = append(urls, b.Join(p))
		}
	}
	return urls
}

// defaultPort is the port a scheme implies.
func defaultPort(scheme string) string {
	return map[string]string{"http": "80", "https": "443"}[strings.ToLower(scheme)]
}

// Canonical is the one spelling of the backend's URL: scheme and host in
// lower case, an international host name in its ASCII (punycode) form, the
// scheme's default port dropped, and the base path cleaned, without a
// trailing slash. Percent-escapes in the path are kept as written: /a%2Fb
// and /a/b may be different backends.
func (b *Backend) Canonical() string {
	scheme := strings.ToLower(b.Scheme)
	host := canonicalHost(b.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := b.Port(); port != "" && port != defaultPort(scheme) {
		host += ":" + port
	}
	p := b.EscapedPath()
	if p != "" {
		p = path.Clean("/" + p)
	}
	return scheme + "://" + host + strings.TrimSuffix(p, "/")
}

func canonicalHost(h string) string {
	host := strings.ToLower(h)
	if ip := net.ParseIP(host); ip != nil {
		return ip.String()
	}
	if ascii, err := idna.Lookup.ToASCII(host); err == nil {
		return ascii
	}
	return host
}

// Same reports whether recorded (a backend URL kept in a file) is this
// backend.
func (b *Backend) Same(recorded string) bool {
	r, err := url.Parse(recorded)
	return err == nil && r.Host != "" && (&Backend{URL: r}).Canonical() == b.Canonical()
}

// CacheName names the backend's cache entry: a readable prefix (scheme,
// host, port) and the SHA-256 of the canonical URL, so that two backends
// never share an entry, whatever their URLs have in common once reduced to
// file-name characters.
func (b *Backend) CacheName() string {
	sum := sha256.Sum256([]byte(b.Canonical()))
	return b.cachePrefix() + "-" + hex.EncodeToString(sum[:])
}

// DefaultAccount is the account of a login that names none, and of the
// cache entries and profiles written before clilogin had accounts.
const DefaultAccount = "default"

// maxAccount bounds an account name, in bytes.
const maxAccount = 256

// CheckAccount checks an account name (--account, or the --username that
// names it). Any text a person would type is an account, e-mail addresses
// included: file names are derived from it injectively, never taken from
// it. Only names that cannot be shown or kept faithfully are refused.
func CheckAccount(name string) error {
	switch {
	case name == "":
		return errors.New("an account name cannot be empty")
	case len(name) > maxAccount:
		return fmt.Errorf("an account name is at most %d bytes, got %d", maxAccount, len(name))
	case !utf8.ValidString(name):
		return errors.New("an account name must be UTF-8 text")
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("an account name cannot start or end with a space, got %q", name)
	}
	// escape.Control would print a name holding any of these otherwise
	// than it is, and login -o env would export another account.
	if escape.Control(name) != name {
		return fmt.Errorf("an account name cannot hold control or invisible format characters, got %q", name)
	}
	return nil
}

// AccountCacheName names the cache entry of one of the backend's
// accounts. The default account's is CacheName, where clilogin kept the
// backend's only entry before accounts, so that entry is read as before.
// Another account's name is the readable prefix, "@", the account in
// file-name characters (shortened), and the SHA-256 of the canonical URL
// and the account, NUL-separated (a canonical URL holds no NUL): no two
// (backend, account) pairs share an entry, and none shares CacheName,
// whose prefix never holds "@".
func (b *Backend) AccountCacheName(account string) string {
	if account == DefaultAccount {
		return b.CacheName()
	}
	return b.cachePrefix() + "@" + accountChars(account) + "-" + b.accountHash(account)
}

// AccountProfileName names the browser profile directory of one of the
// backend's accounts: ProfileName for the default account (the profile of
// clilogin before accounts), else host_port@account-hash, named as
// AccountCacheName is.
func (b *Backend) AccountProfileName(account string) string {
	if account == DefaultAccount {
		return b.ProfileName()
	}
	// Half the hash (128 bits) keeps the paths inside a Chrome profile
	// short enough for Windows' 260-character limit.
	name := fileChars(hostPort(b.Scheme, canonicalHost(b.Hostname()), b.Port()))
	return name[:min(len(name), 64)] + "@" + accountChars(account) + "-" + b.accountHash(account)[:32]
}

func (b *Backend) accountHash(account string) string {
	sum := sha256.Sum256([]byte(b.Canonical() + "\x00" + account))
	return hex.EncodeToString(sum[:])
}

// accountChars is the account in file-name characters, for people reading
// a directory listing; the hash beside it keeps names apart.
func accountChars(account string) string {
	s := fileChars(strings.ToLower(account))
	return s[:min(len(s), 24)]
}

// CachePrefix begins every AccountCacheName of the backend, and of any
// backend Same as it: a listing of one backend's entries need read no
// other file. Other backends on the same host and port share it.
func (b *Backend) CachePrefix() string { return b.cachePrefix() }

func (b *Backend) cachePrefix() string {
	name := fileChars(strings.ToLower(b.Scheme) + "_" + hostPort(b.Scheme, canonicalHost(b.Hostname()), b.Port()))
	return name[:min(len(name), 64)]
}

// LegacyCacheName is the entry name of clilogin versions before the hashed
// names; logout removes such a file too.
func (b *Backend) LegacyCacheName() string {
	return fileChars(b.Scheme + "_" + strings.Trim(strings.ToLower(b.Host), "[]") + strings.TrimSuffix(b.Path, "/"))
}

// ProfileName names the backend's browser profile directory: host_port.
func (b *Backend) ProfileName() string {
	return strings.NewReplacer(":", "_", "/", "_").Replace(hostPort(b.Scheme, strings.ToLower(b.Hostname()), b.Port()))
}

// hostPort is host_port, with the scheme's default port when port is "".
func hostPort(scheme, host, port string) string {
	if port == "" {
		port = defaultPort(scheme)
	}
	return strings.Trim(host, "[]") + "_" + port
}

// fileChars keeps letters, digits, dots and dashes; anything else is _.
func fileChars(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			return r
		}
		return '_'
	}, s)
}
