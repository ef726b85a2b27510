// Package redact removes secrets from text that is shown to people: URLs in
// logs, error messages and artifacts.
package redact

import (
	"net/url"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
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

// MinAnywhere is the length (in bytes) from which a secret is masked
// wherever it occurs. A shorter one (a 3-character password, a cookie
// value of "1") is masked only where it stands alone: not next to a letter
// or a digit, so that it is hidden without hiding every word that holds its
// letters. The artifacts' page mask (maskPage in internal/browser) applies
// the same rule.
const MinAnywhere = 4

// Secrets replaces every occurrence of each non-empty secret in s by Mask,
// by the rule of MinAnywhere. It is the one rule of what is masked, for
// messages, -v logs and artifacts alike.
func Secrets(s string, secrets ...string) string {
	for _, secret := range secrets {
		switch {
		case secret == "":
		case len(secret) >= MinAnywhere:
			s = strings.ReplaceAll(s, secret, Mask)
		default:
			s = maskAlone(s, secret)
		}
	}
	return s
}

// Values returns the values of cookies (or other session values) that are
// secrets to mask: those of MinAnywhere bytes or more. A shorter value (a
// cookie "consent=1" or "lang=en") grants nothing, and masking it where it
// stands alone would hide ordinary words of every message; a short
// password or TOTP secret is passed to Secrets as it is.
func Values(values []string) []string {
	var out []string
	for _, v := range values {
		if len(v) >= MinAnywhere {
			out = append(out, v)
		}
	}
	return out
}

// Split sorts secrets by the rule of MinAnywhere: those masked wherever they
// occur, and those masked where they stand alone. Empty ones are dropped.
// It is for a masker outside Go (the artifacts' page script).
func Split(secrets []string) (anywhere, alone []string) {
	for _, s := range secrets {
		switch {
		case s == "":
		case len(s) >= MinAnywhere:
			anywhere = append(anywhere, s)
		default:
			alone = append(alone, s)
		}
	}
	return anywhere, alone
}

// maskAlone replaces each occurrence of secret in s that has no letter or
// digit right before or after it.
func maskAlone(s, secret string) string {
	var b strings.Builder
	done := 0 // s[:done] is in b
	for from := 0; ; {
		i := strings.Index(s[from:], secret)
		if i < 0 {
			b.WriteString(s[done:])
			return b.String()
		}
		start, end := from+i, from+i+len(secret)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if start > 0 && wordRune(before) || end < len(s) && wordRune(after) {
			from = start + 1 // inside a word: look again further on
			continue
		}
		b.WriteString(s[done:start] + Mask)
		done, from = end, end
	}
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

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
