package cli

import (
	"context"
	"fmt"

	"github.com/clilogin/clilogin/internal/escape"
	"github.com/clilogin/clilogin/internal/passkey"
)

// passkey is the credential of CLILOGIN_WEBAUTHN_CREDENTIAL (environment
// only: no flag, never passed on), or nil.
func (a *app) passkey() (*passkey.Credential, error) {
	s, ok := a.env(passkey.EnvName)
	if !ok || s == "" {
		return nil, nil
	}
	if a.enroll {
		a.warnf("%s is ignored while enrolling a new passkey", passkey.EnvName)
		return nil, nil
	}
	c, err := passkey.Parse(s)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// runPasskeyEnroll signs in with a browser whose virtual authenticator
// registers the passkey the identity provider's own page asks for, and
// prints that passkey once, for a CI secret store.
func runPasskeyEnroll(ctx context.Context, a *app) error {
	a.enroll = true
	a.o.NoReplay = true // the registration needs the browser
	e, _, err := a.obtain(ctx, true)
	if err != nil {
		return err
	}
	if a.enrolled == nil { // obtain signed in with the browser, which read it back
		return fmt.Errorf("the login finished without reading back a passkey")
	}
	fmt.Fprintf(a.stdio.Err, "clilogin: warning: the line on stdout is a secret: the passkey's private key for %s. Store it in a secret store (e.g. as %s), not in a file or a log\n",
		escape.Control(a.enrolled.RPID), passkey.EnvName)
	if e.Identity != "" {
		fmt.Fprintf(a.stdio.Err, "clilogin: enrolled a passkey for %s at %s\n", escape.Control(e.Identity), escape.Control(a.enrolled.RPID))
	}
	fmt.Fprintln(a.stdio.Out, a.enrolled.String())
	return nil
}
