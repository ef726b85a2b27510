package pagemodel

import (
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/redact"
)

// passkeyStep ends the login when the page's WebAuthn request failed: the
// authenticator holds no passkey the identity provider accepts (or, when
// enrolling, the IdP's page could not register one).
func (f *Model) passkeyStep(p Probe) error {
	c := f.cfg
	if p.WebAuthn == nil || p.WebAuthn.Error == "" || (!c.Passkey && !c.EnrollPasskey) {
		return nil
	}
	if c.EnrollPasskey {
		return failure.New(failure.Refused, "remove this account's old passkey at the identity provider, or see its page in a window",
			"the identity provider's passkey registration (WebAuthn) at %s failed: %s", redact.URL(p.Href), Excerpt(p.WebAuthn.Error))
	}
	return failure.New(failure.Refused, "set CLILOGIN_WEBAUTHN_CREDENTIAL to a passkey this identity provider knows for the account (clilogin passkey enroll makes one)",
		"the identity provider's passkey step (WebAuthn) at %s failed: the passkey of CLILOGIN_WEBAUTHN_CREDENTIAL was not accepted (%s)",
		redact.URL(p.Href), Excerpt(p.WebAuthn.Error))
}
