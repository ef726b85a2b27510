package browser

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/clilogin/clilogin/internal/failure"
)

// The IdP page model. An IdP page is in one state at a time: one kind of
// page from the table below, and a fingerprint that tells one state of that
// kind from the next (which fields, heading and errors it shows). probe.js
// detects the state; the filler (fill.go) acts on each state once, then
// waits for the page to settle into another state before acting again.
//
// Adding a kind of page: an entry in pageKinds, an entry of the same name
// in probe.js's kinds (how it is detected and what its action does), and
// its saved page in testdata/forms with a test in forms_test.go.

// pageKind says when and with what the filler acts on one kind of page.
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
	action func(c Config, p probe) (*action, error)
}

func pageKinds() map[string]pageKind {
	kinds := []pageKind{
		{name: "password", what: "sign-in form", signIn: true, tries: 2, action: func(c Config, _ probe) (*action, error) {
			if c.Password == "" {
				return nil, failure.New(failure.Usage, "set CLILOGIN_PASSWORD or use --password-stdin",
					"the identity provider asks for a password, and none was given")
			}
			return &action{Kind: "password", Username: c.Username, Password: c.Password}, nil
		}},
		{name: "username", what: "sign-in form", signIn: true, tries: 3, action: func(c Config, _ probe) (*action, error) {
			return &action{Kind: "username", Username: c.Username}, nil
		}},
		{name: "otp", what: "one-time code form", signIn: true, tries: 2, action: func(c Config, _ probe) (*action, error) {
			if c.TOTPSecret == "" {
				return nil, failure.New(failure.Refused, "set CLILOGIN_TOTP_SECRET to the account's TOTP secret, or sign in with a window",
					"the identity provider asks for a one-time code, and no TOTP secret was given")
			}
			code, err := totp.GenerateCode(strings.ToUpper(strings.ReplaceAll(c.TOTPSecret, " ", "")), time.Now())
			if err != nil {
				return nil, failure.New(failure.Usage, "CLILOGIN_TOTP_SECRET must be the base32 secret of the authenticator app",
					"cannot make a one-time code: the TOTP secret is not valid base32")
			}
			return &action{Kind: "otp", Code: code}, nil
		}},
		{name: "unsupported", what: "browser refusal", action: func(c Config, p probe) (*action, error) {
			if c.Headless {
				return nil, failure.New(failure.Refused,
					"run with a window under a virtual display: xvfb-run clilogin login --headless=false …",
					"the identity provider refuses this headless browser: %q", excerptText(p.Text))
			}
			return nil, nil // a person may get past it
		}},
		// device: approve the sign-in on another device (a push, number
		// matching). A person does it; a headless login without a terminal
		// to tell them has nobody to.
		{name: "device", what: "approval on a device", action: func(c Config, p probe) (*action, error) {
			if c.Headless && c.Prompt == nil {
				return nil, failure.New(failure.Refused, "run at a terminal (clilogin shows the number to match there) or with a window",
					"the identity provider asks to approve the sign-in on a device (%q), and a headless login has nobody to do it", excerptText(p.Text))
			}
			return nil, nil
		}},
		// choice: which way to sign in (which factor). The person picks in
		// the window, or at the terminal (prompt.go).
		{name: "choice", what: "choice of sign-in method", tries: 3, action: func(Config, probe) (*action, error) {
			return nil, nil
		}},
		{name: "consent", what: "consent step", approval: true, tries: 5, action: func(Config, probe) (*action, error) {
			return &action{Kind: "consent"}, nil
		}},
		{name: "continue", what: "continue step", approval: true, tries: 5, action: func(Config, probe) (*action, error) {
			return &action{Kind: "continue"}, nil
		}},
	}
	m := make(map[string]pageKind, len(kinds))
	for _, k := range kinds {
		m[k.name] = k
	}
	return m
}

// stuckAfter is how long a state may stay unchanged after its action, with
// no new document requested, before the login gives up on it.
const stuckAfter = 8 * time.Second

// probe is what the page probe answers.
type probe struct {
	Href    string   `json:"href"`
	Doc     string   `json:"doc"`   // the document's time origin: a new value is a new document
	Ready   string   `json:"ready"` // document.readyState
	Title   string   `json:"title"`
	Marker  bool     `json:"marker"`
	Kind    string   `json:"kind"`    // the page kind, "" for none
	Users   int      `json:"users"`   // user name fields shown
	Number  string   `json:"number"`  // a device step's number to match
	Options []string `json:"options"` // a choice's options
	Heading string   `json:"heading"`
	// WebAuthn is how the page's WebAuthn requests went, when watched
	// (webauthn.go).
	WebAuthn *webAuthnState `json:"webauthn"`
	FP       string         `json:"fp"`      // the state's fingerprint
	Control  string         `json:"control"` // what the kind's action clicks
	Errors   []string       `json:"errors"`  // errors and notices shown
	Posts    []string       `json:"posts"`   // where the sign-in fields' forms send
	Text     string         `json:"text"`
	Did      string         `json:"did"`
	settleReport
}

// action asks probe.js to act on the state it names.
type action struct {
	Kind     string `json:"kind"`
	FP       string `json:"fp"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Code     string `json:"code,omitempty"`
	Choice   int    `json:"choice"` // the option a choice takes
}

// run evaluates the probe in the page, acting when act is not nil.
func (s *loginRun) run(ctx context.Context, act *action) (probe, error) {
	cfg, _ := json.Marshal(map[string]any{
		"marker":        s.cfg.Marker.JS(),
		"usernameField": s.cfg.UsernameField,
		"passwordField": s.cfg.PasswordField,
		"submit":        s.cfg.Submit,
		"settle":        s.settleConfig(),
	})
	actJSON := []byte("null")
	if act != nil {
		actJSON, _ = json.Marshal(act)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[probe](probeJS+"("+string(cfg)+","+string(actJSON)+")"))
}

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
