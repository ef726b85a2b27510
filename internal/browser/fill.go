package browser

import (
	"context"
	"strings"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/redact"
)

// filler signs in at the IdP with the configured credentials. It acts at
// most once per kind of form and page, and treats an error shown after a
// submit as the IdP's refusal.
type filler struct {
	s         *session
	acted     map[string]bool // document + kind
	submitted bool            // credentials were submitted at least once
	passSeen  int             // documents that asked for the password
	clear     bool            // the person was told credentials go in clear text
}

func (f *filler) once(p probe, kind string) bool {
	if f.acted == nil {
		f.acted = map[string]bool{}
	}
	key := p.Doc + "\x00" + kind
	if f.acted[key] {
		return false
	}
	f.acted[key] = true
	return true
}

// step looks at one probe of an IdP page and acts on it.
func (f *filler) step(ctx context.Context, p probe) error {
	c := f.s.cfg
	if p.User || p.Pass || p.OTP {
		clear, err := credentialPage(p.Href, c.InsecureHTTP)
		if err != nil {
			return err
		}
		if clear && !f.clear {
			f.clear = true
			c.Warnf("typing the credentials into %s in clear text, as --insecure-http allows", redact.URL(p.Href))
		}
	}
	switch {
	case f.submitted && p.Error != "" && (p.User || p.Pass || p.OTP):
		return failure.New(failure.Refused, "check --username and the password (CLILOGIN_PASSWORD or --password-stdin)",
			"the identity provider refused the sign-in: %s", redact.Secrets(p.Error, c.Password, c.Username))

	case p.Pass:
		if !f.once(p, "password") {
			return nil
		}
		if c.Password == "" {
			return failure.New(failure.Usage, "set CLILOGIN_PASSWORD or use --password-stdin",
				"the identity provider asks for a password, and none was given")
		}
		if f.passSeen++; f.passSeen > 2 {
			return failure.New(failure.Refused, "check --username and the password, or sign in with a window to see why",
				"the identity provider showed its sign-in form again after the password was submitted")
		}
		return f.act(ctx, action{Kind: "credentials", Username: c.Username, Password: c.Password})

	case p.User:
		if !f.once(p, "username") {
			return nil
		}
		return f.act(ctx, action{Kind: "credentials", Username: c.Username})

	case p.OTP:
		if !f.once(p, "otp") {
			return nil
		}
		if c.TOTPSecret == "" {
			return failure.New(failure.Refused, "set CLILOGIN_TOTP_SECRET to the account's TOTP secret, or sign in with a window",
				"the identity provider asks for a one-time code, and no TOTP secret was given")
		}
		code, err := totp.GenerateCode(strings.ToUpper(strings.ReplaceAll(c.TOTPSecret, " ", "")), time.Now())
		if err != nil {
			return failure.New(failure.Usage, "CLILOGIN_TOTP_SECRET must be the base32 secret of the authenticator app",
				"cannot make a one-time code: the TOTP secret is not valid base32")
		}
		return f.act(ctx, action{Kind: "otp", Code: code})

	case p.Consent && c.NoConsent && c.Headless:
		return failure.New(failure.Refused, "drop --no-consent, or approve once in a window (without --headless)",
			"the identity provider asks for consent at %s, and --no-consent forbids approving it", redact.URL(p.Href))

	case p.Consent && !c.NoConsent:
		if !f.once(p, "consent") {
			return nil
		}
		return f.act(ctx, action{Kind: "consent"})
	}
	return nil
}

func (f *filler) act(ctx context.Context, a action) error {
	r, err := f.s.run(ctx, &a)
	if err != nil {
		return nil // the page changed under us; the next probe sees the new one
	}
	if a.Kind == "credentials" || a.Kind == "otp" {
		f.submitted = true
	}
	what := a.Kind
	if a.Kind == "credentials" && a.Password == "" {
		what = "username"
	}
	f.s.cfg.Logf("filled %s at %s: %s", what, redact.URL(r.Href), r.Did)
	return nil
}
