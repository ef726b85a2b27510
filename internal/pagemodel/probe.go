package pagemodel

import (
	"context"
	"time"

	"github.com/clilogin/clilogin/internal/hop"
)

// Page is the identity provider's page as the model sees it. internal/browser
// gives it a Chrome page (probe.js run over DevTools); the model's tests give
// it recorded probes.
type Page interface {
	// Act asks the page to act on the state that a names (its FP) and
	// answers the probe taken as it acted; Did is "" when it did not (the
	// state had changed).
	Act(ctx context.Context, a *Action) (Probe, error)
	// Documents is the number of documents the window has requested so
	// far, redirects included; Navigated those of its own (main) frame.
	Documents() int
	Navigated() int
	// Leaving says whether the main frame requested a document after the
	// first n and may not show it yet: what the old one shows is no answer.
	Leaving(n int) bool
	// RequestsDone says whether no request that can change the page is
	// pending, none ended since the probe that answered gen was sent, and
	// no new document is on its way.
	RequestsDone(gen int) bool
}

// Config is what the model needs of the login's configuration.
type Config struct {
	// Credentials for filling the IdP's forms; none means a person signs in.
	Username, Password string
	TOTPSecret         string // base32, for one-time-code pages
	Headless           bool
	NoConsent          bool
	InsecureHTTP       bool // credentials may go to http:// pages off loopback
	// Passkey: a passkey is presented by a virtual authenticator;
	// EnrollPasskey: one is registered.
	Passkey, EnrollPasskey bool
	// Prompt, when not nil, asks the person at the terminal what a
	// headless login's pages ask and nothing else answers (prompt.go).
	Prompt Prompter
	// Logf logs a step for -v; Warnf tells the person about a problem that
	// does not end the login.
	Logf, Warnf func(format string, args ...any)
	// Ended is the error of a wait ended by ctx (a timeout, a signal) while
	// a prompt was open; nil returns err as it is.
	Ended func(ctx context.Context, err error) error
	// Now is the clock of the settle and stuck rules; nil is time.Now.
	Now func() time.Time
}

// Probe is what the page probe (internal/browser's probe.js) answers.
type Probe struct {
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
	// WebAuthn is how the page's WebAuthn requests went, when watched.
	WebAuthn *WebAuthnState `json:"webauthn"`
	FP       string         `json:"fp"`      // the state's fingerprint
	Control  string         `json:"control"` // what the kind's action clicks
	Errors   []string       `json:"errors"`  // errors and notices shown
	Posts    []string       `json:"posts"`   // where the sign-in fields' forms send
	Text     string         `json:"text"`
	Did      string         `json:"did"`
	SettleReport
}

// SettleReport is what the probe says about the page's settling.
type SettleReport struct {
	Settle *WatchState `json:"settle"` // nil: no watcher in this document
	Blank  int         `json:"blank"`  // error-like boxes shown without text
}

// WatchState is the settle watcher's answer (settle.js).
type WatchState struct {
	Changes int  `json:"changes"` // DOM changes so far
	Calm    bool `json:"calm"`    // idle since the last one
	Gen     int  `json:"gen"`     // the requests ended, as the probe was told
}

// WebAuthnState is what the WebAuthn watch reports through the probe.
type WebAuthnState struct {
	Requests int    `json:"requests"`
	Error    string `json:"error"`
}

// Action asks the probe to act on the state it names.
type Action struct {
	Kind     string `json:"kind"`
	FP       string `json:"fp"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Code     string `json:"code,omitempty"`
	Choice   int    `json:"choice"` // the option a choice takes
}

// Excerpt is the start of a page's text, for a message: as long as the
// excerpt of an error answer (internal/hop).
func Excerpt(t string) string {
	if r := []rune(t); len(r) > hop.ExcerptRunes {
		return string(r[:hop.ExcerptRunes]) + "…"
	}
	return t
}
