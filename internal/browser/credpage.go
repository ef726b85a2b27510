package browser

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
	u, perr := url.Parse(href)
	switch {
	case perr != nil:
	case u.Scheme == "https":
		return false, nil
	case u.Scheme == "http" && loopback.Host(u.Hostname()):
		return false, nil
	case u.Scheme == "http" && insecureHTTP:
		return true, nil
	}
	return false, failure.New(failure.Usage,
		"use the identity provider's https:// address, or pass --insecure-http if you accept sending the password in clear text",
		"the sign-in page %s is not encrypted (not https:// nor on loopback): clilogin does not type credentials into it", redact.URL(href))
}
