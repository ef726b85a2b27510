// Package redact removes secrets from text that is shown to people: URLs in
// logs, error messages and artifacts.
package redact

import (
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// Mask replaces a secret.
const Mask = "REDACTED"

// safeParams are query parameters whose values are kept: they say what went
// wrong or which client asked, and never grant access.
var safeParams = map[string]bool{
	"error":             true,
	"error_description": true,
	"error_uri":         true,
	"client_id":         true,
	"response_type":     true,
	"response_mode":     true,
	"scope":             true,
	"redirect_uri":      true,
	"prompt":            true,
}

// SafeParam reports whether a query parameter's value is kept by URL.
func SafeParam(name string) bool { return safeParams[strings.ToLower(name)] }

// URL returns raw with the values of every query parameter that is not known
// to be safe replaced by Mask, the fragment masked, and any user info
// removed. A string that does not parse as a URL is masked whole.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Mask
	}
	if u.Opaque != "" { // "https:user:pass@host" and the like: nothing to keep
		return u.Scheme + ":" + Mask
	}
	if u.User != nil {
		u.User = url.User(Mask)
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k, vs := range q {
			if strings.EqualFold(k, "redirect_uri") {
				for i := range vs {
					vs[i] = URL(vs[i]) // a URL in a URL may carry its own secrets
				}
				continue
			}
			if safeParams[strings.ToLower(k)] {
				continue
			}
			for i := range vs {
				vs[i] = Mask
			}
		}
		u.RawQuery = q.Encode()
	}
	if u.Fragment != "" {
		u.Fragment = Mask
	}
	return JWTs(u.String()) // a token in the path, e.g. /welcome/eyJ…
}

// jwt matches a JSON Web Token in compact form (JWS, or the start of a
// JWE): base64url parts separated by dots, the first one a JSON object
// ("eyJ" is the base64 of `{"`).
var jwt = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
})

// JWTs replaces every JSON Web Token in s by Mask: a page, a URL or a
// message may show one that clilogin does not know yet.
func JWTs(s string) string {
	if !strings.Contains(s, "eyJ") {
		return s
	}
	return jwt().ReplaceAllString(s, Mask)
}

// Secrets replaces every occurrence of each non-empty secret in s by Mask.
func Secrets(s string, secrets ...string) string {
	for _, secret := range secrets {
		if len(secret) >= 4 { // shorter strings would mask ordinary words
			s = strings.ReplaceAll(s, secret, Mask)
		}
	}
	return s
}

// Environ returns environ (NAME=value entries) without clilogin's own
// CLILOGIN_* variables, whatever their case: the password, the TOTP secret,
// the user name and every setting stay with clilogin. Chrome and exec's
// command are started with it.
func Environ(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		if len(kv) >= len("CLILOGIN_") && strings.EqualFold(kv[:len("CLILOGIN_")], "CLILOGIN_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}
