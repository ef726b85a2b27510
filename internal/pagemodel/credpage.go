package pagemodel

import (
	"net/url"

	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/loopback"
	"github.com/clilogin/clilogin/internal/redact"
)

// credentialPage decides whether the user name, the password or a one-time
// code may be typed into the page at href: only an https:// page or a page
// on loopback, unless insecureHTTP (--insecure-http) allows http:// pages
// elsewhere too; clear is then true, and the caller says so. Any other page
// (http:// elsewhere, data:, file:, …) is refused with a usage error.
func credentialPage(href string, insecureHTTP bool) (clear bool, err error) {
	clear, ok := credentialTarget(href, insecureHTTP)
	if ok {
		return clear, nil
	}
	return false, failure.New(failure.Usage,
		"use the identity provider's https:// address, or pass --insecure-http if you accept sending the password in clear text",
		"the sign-in page %s is not encrypted (not https:// nor on loopback): clilogin does not type credentials into it", redact.URL(href))
}

// credentialPost holds where the sign-in form of the page at href sends
// what is typed (its action, or a button's formaction) to the same rule:
// a loopback page whose form posts to http:// elsewhere is refused too.
func credentialPost(href, to string, insecureHTTP bool) (clear bool, err error) {
	clear, ok := credentialTarget(to, insecureHTTP)
	if ok {
		return clear, nil
	}
	return false, failure.New(failure.Usage,
		"use the identity provider's https:// address, or pass --insecure-http if you accept sending the password in clear text",
		"the sign-in form of %s sends to %s, which is not encrypted (not https:// nor on loopback): clilogin does not type credentials into it",
		redact.URL(href), redact.URL(to))
}

// credentialTarget is the rule: ok for https:// and loopback, and for
// http:// elsewhere with insecureHTTP (clear is then true).
func credentialTarget(raw string, insecureHTTP bool) (clear, ok bool) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
	case u.Scheme == "https":
		return false, true
	case u.Scheme == "http" && loopback.Host(u.Hostname()):
		return false, true
	case u.Scheme == "http" && insecureHTTP:
		return true, true
	}
	return false, false
}
