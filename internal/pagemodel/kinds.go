package pagemodel

import (
	"strings"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/clilogin/clilogin/internal/failure"
)

// The IdP page model. An IdP page is in one state at a time: one kind of
// page from the table below, and a fingerprint that tells one state of that
// kind from the next (which fields, heading and errors it shows). probe.js
// detects the state; the model (model.go) acts on each state once, then
// waits for the page to settle into another state before acting again.
//
// Adding a kind of page: an entry in pageKinds, an entry of the same name
// in probe.js's kinds (how it is detected and what its action does), and
// its saved page in internal/browser/testdata/forms with a test in
// forms_test.go there, and its recorded probe in testdata/probes with a case
// in this package's tests.

// pageKind says when and with what the model acts on one kind of page.
type pageKind struct {
	name string // as probe.js names it
	what string // for messages: "the sign-in form"
	// signIn: the page asks who the user is. Without credentials only a
	// person can answer it; an error it shows after a submit is a refusal.
	signIn bool
	// approval: a consent or continue step, passed unless --no-consent.
	approval bool
	// tries is how often the kind is acted on in one login before the
	// login gives up on it (an IdP that shows the form again).
	tries int
	// action is what probe.js is asked to do; nil with no error leaves the
	// page to the person at the window.
	action func(c Config, p Probe) (*Action, error)
}

func pageKinds() map[string]pageKind {
	kinds := []pageKind{
		{name: "password", what: "sign-in form", signIn: true, tries: 2, action: func(c Config, _ Probe) (*Action, error) {
			if c.Password == "" {
				return nil, failure.New(failure.Usage, "set CLILOGIN_PASSWORD or use --password-stdin",
					"the identity provider asks for a password, and none was given")
			}
			return &Action{Kind: "password", Username: c.Username, Password: c.Password}, nil
		}},
		{name: "username", what: "sign-in form", signIn: true, tries: 3, action: func(c Config, _ Probe) (*Action, error) {
			return &Action{Kind: "username", Username: c.Username}, nil
		}},
		{name: "otp", what: "one-time code form", signIn: true, tries: 2, action: func(c Config, _ Probe) (*Action, error) {
			if c.TOTPSecret == "" {
				return nil, failure.New(failure.Refused, "set CLILOGIN_TOTP_SECRET to the account's TOTP secret, or sign in with a window",
					"the identity provider asks for a one-time code, and no TOTP secret was given")
			}
			code, err := totp.GenerateCode(strings.ToUpper(strings.ReplaceAll(c.TOTPSecret, " ", "")), time.Now())
			if err != nil {
				return nil, failure.New(failure.Usage, "CLILOGIN_TOTP_SECRET must be the base32 secret of the authenticator app",
					"cannot make a one-time code: the TOTP secret is not valid base32")
			}
			return &Action{Kind: "otp", Code: code}, nil
		}},
		{name: "unsupported", what: "browser refusal", action: func(c Config, p Probe) (*Action, error) {
			if c.Headless {
				return nil, failure.New(failure.Refused,
					"run with a window under a virtual display: xvfb-run clilogin login --headless=false …",
					"the identity provider refuses this headless browser: %q", Excerpt(p.Text))
			}
			return nil, nil // a person may get past it
		}},
		// device: approve the sign-in on another device (a push, number
		// matching). A person does it; a headless login without a terminal
		// to tell them has nobody to.
		{name: "device", what: "approval on a device", action: func(c Config, p Probe) (*Action, error) {
			if c.Headless && c.Prompt == nil {
				return nil, failure.New(failure.Refused, "run at a terminal (clilogin shows the number to match there) or with a window",
					"the identity provider asks to approve the sign-in on a device (%q), and a headless login has nobody to do it", Excerpt(p.Text))
			}
			return nil, nil
		}},
		// choice: which way to sign in (which factor). The person picks in
		// the window, or at the terminal (prompt.go).
		{name: "choice", what: "choice of sign-in method", tries: 3, action: func(Config, Probe) (*Action, error) {
			return nil, nil
		}},
		{name: "consent", what: "consent step", approval: true, tries: 5, action: func(Config, Probe) (*Action, error) {
			return &Action{Kind: "consent"}, nil
		}},
		{name: "continue", what: "continue step", approval: true, tries: 5, action: func(Config, Probe) (*Action, error) {
			return &Action{Kind: "continue"}, nil
		}},
	}
	m := make(map[string]pageKind, len(kinds))
	for _, k := range kinds {
		m[k.name] = k
	}
	return m
}

// StuckAfter is how long a state may stay unchanged after its action, with
// no new document requested, before the login gives up on it.
const StuckAfter = 8 * time.Second

// newError is the first error in after that was not already shown before.
func newError(after, before []string) string {
	for _, e := range after {
		seen := false
		for _, b := range before {
			seen = seen || b == e
		}
		if !seen {
			return e
		}
	}
	return ""
}
