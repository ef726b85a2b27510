// Package pagemodel is the identity provider's page model: what state a
// sign-in page is in (kinds.go), when to act on it and with what, when the
// page has settled after an action (settle.go), when an error it shows is
// the IdP's refusal and when a notice, how often a state is tried again,
// and when a page is stuck. It sees the page through Page, a few methods
// defined here: internal/browser gives it a Chrome page, and the tests give
// it probes recorded from real IdPs' pages (testdata/probes), so that its
// decisions are tested without a browser.
package pagemodel

import (
	"context"
	"time"

	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/redact"
)

// Model walks the IdP's pages: it acts once on each state the page is in,
// then waits for the page to settle into another state (a new document, or
// a changed state in the same document) before it acts again. A state that
// does not change after its action is given up on; an error that the
// action produced is the IdP's refusal.
type Model struct {
	cfg    Config
	page   Page
	kinds  map[string]pageKind
	tries  map[string]int // actions per kind
	pend   *pending       // the last action, until the page settles
	person bool           // the page waits for the person at the window
	clear  bool           // the person was told credentials go in clear text
	// filledSignIn: a user name or password was typed into the IdP's form.
	filledSignIn bool
	ask          prompts // what was asked at the terminal (prompt.go)
}

// pending is an action whose page has not settled yet.
type pending struct {
	kind      pageKind
	doc, fp   string
	control   string
	errors    []string // shown before the action: notices, not refusals
	at        time.Time
	documents int // documents requested before the action
	navs      int // of which by the main frame
	// The settled state last seen and since when, and when the page
	// first settled (settle.go).
	seenDoc, seenFP   string
	seenAt, settledAt time.Time
}

// New is the model of one login's pages, seen through page.
func New(c Config, page Page) *Model {
	nop := func(string, ...any) {}
	if c.Logf == nil {
		c.Logf = nop
	}
	if c.Warnf == nil {
		c.Warnf = nop
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Model{cfg: c, page: page, kinds: pageKinds(), tries: map[string]int{}}
}

// Person says whether the page, at the last step, waits for the person at
// the window.
func (f *Model) Person() bool { return f.person }

// FilledSignIn says whether a user name or password was typed into the
// IdP's form.
func (f *Model) FilledSignIn() bool { return f.filledSignIn }

// Step looks at one probe of an IdP page and acts on it.
func (f *Model) Step(ctx context.Context, p Probe) error {
	f.person = false
	if err := f.passkeyStep(p); err != nil {
		return err
	}
	if f.pend != nil {
		if done, err := f.settled(p); err != nil || !done {
			return err
		}
		f.pend = nil
	}
	return f.actOn(ctx, p)
}

// settled judges the state p reached by the pending action: done when it
// has settled and may be acted on; an error when the page is stuck or the
// state is the IdP's refusal.
func (f *Model) settled(p Probe) (bool, error) {
	pd := f.pend
	// Settled: a new document that has been parsed, or a new state
	// in the same one. A new state in the same document counts only
	// when the window is not leaving it: the old page may still
	// change (a late translation, a script) while the IdP answers.
	newDoc := p.Doc != pd.doc && (p.Kind != "" || p.Ready != "loading")
	if !newDoc && (p.Kind == "" || p.FP == pd.fp || f.page.Leaving(pd.navs)) {
		return false, f.notSettled(p)
	}
	// Only an error that the action produced is a refusal: a notice
	// shown before it (e.g. "Authentication required") is not. It is
	// judged at once on a new document; in the same one, and before
	// acting, once the page has settled (settle.go).
	refused := newError(p.Errors, pd.errors)
	if !pd.kind.signIn || !f.kinds[p.Kind].signIn {
		refused = ""
	}
	quiet := f.quiet(pd, p, refused != "" && !newDoc)
	if refused != "" && (newDoc || quiet) {
		if k := f.kinds[p.Kind]; f.prompting() && (k.tries == 0 || f.tries[k.name] < k.tries) {
			// The person answered: tell them and ask again.
			f.retryAfter(refused)
			f.pend = nil
			return false, nil
		}
		return false, failure.New(failure.Refused, "check --username and the password (CLILOGIN_PASSWORD or --password-stdin)",
			"the identity provider refused the sign-in: %s", f.mask(refused))
	}
	return quiet, nil
}

// notSettled notes a probe of a state that has not settled yet, and gives
// up on a state that stays after its action while no document comes.
func (f *Model) notSettled(p Probe) error {
	pd := f.pend
	pd.seenDoc, pd.seenFP = "", ""
	if n := f.page.Documents(); n > pd.documents { // the browser is moving on
		pd.documents, pd.at = n, f.cfg.Now()
	}
	if f.cfg.Now().Sub(pd.at) > StuckAfter {
		return failure.New(failure.Timeout,
			"sign in with a window to see what the page wants (or name the control with --submit); -v shows each step",
			"the identity provider's page stayed at the %s after clicking %q (%s)", pd.kind.what, pd.control, redact.URL(p.Href))
	}
	return nil
}

// actOn acts on the settled state p, or leaves it to the person, or says
// why nobody can answer it.
func (f *Model) actOn(ctx context.Context, p Probe) error {
	c := f.cfg
	k, ok := f.kinds[p.Kind]
	if !ok { // a page the model does not know: the person's, if any
		f.person = c.Username == ""
		return nil
	}
	if person, err := f.nobodyFor(k, p); person || err != nil {
		f.person = person
		return err
	}
	if k.signIn {
		if err := f.credentialTargets(p); err != nil {
			return err
		}
	}
	if err := f.triedOut(k, p); err != nil {
		return err
	}
	a, err := f.prompted(ctx, k, p)
	if a == nil && err == nil {
		a, err = k.action(c, p)
	}
	if err != nil {
		return err
	}
	if a == nil {
		f.person = true
		return nil
	}
	return f.act(ctx, k, a, p)
}

// nobodyFor says whether a state of kind k that the configuration has no
// answer for is the person's (with a window), or a refusal (headless).
func (f *Model) nobodyFor(k pageKind, p Probe) (person bool, err error) {
	c := f.cfg
	switch {
	case k.signIn && c.Username == "" && !(k.name == "otp" && c.TOTPSecret != "") && !f.prompting():
		if !c.Headless {
			return true, nil
		}
		return false, failure.New(failure.Refused,
			"pass --username (and the password in CLILOGIN_PASSWORD or via --password-stdin), or run with a window",
			"the identity provider asks for a sign-in at %s (%q), and a headless login has nobody to answer it", redact.URL(p.Href), p.Title)
	case k.approval && c.NoConsent:
		if !c.Headless {
			return true, nil
		}
		return false, failure.New(failure.Refused, "drop --no-consent, or approve once in a window (without --headless)",
			"the identity provider asks for consent at %s (%q), and --no-consent forbids approving it", redact.URL(p.Href), p.Title)
	}
	return false, nil
}

// credentialTargets holds a sign-in page and where its forms send to the
// rule of credentialPage: credentials go only to https:// or loopback.
func (f *Model) credentialTargets(p Probe) error {
	c := f.cfg
	clear, err := credentialPage(p.Href, c.InsecureHTTP)
	if err != nil {
		return err
	}
	for _, to := range p.Posts { // and where the form sends them
		cl, err := credentialPost(p.Href, to, c.InsecureHTTP)
		if err != nil {
			return err
		}
		clear = clear || cl
	}
	if clear && !f.clear {
		f.clear = true
		c.Warnf("typing the credentials into %s in clear text, as --insecure-http allows", redact.URL(p.Href))
	}
	return nil
}

// triedOut ends the login when kind k has been acted on as often as it may.
func (f *Model) triedOut(k pageKind, p Probe) error {
	if k.tries == 0 || f.tries[k.name] < k.tries {
		return nil
	}
	if k.name == "password" {
		says := ""
		if len(p.Errors) > 0 {
			says = ": " + f.mask(p.Errors[0])
		}
		return failure.New(failure.Refused, "check --username and the password, or sign in with a window to see why",
			"the identity provider showed its sign-in form again after the password was submitted%s", says)
	}
	return failure.New(failure.Refused, "sign in with a window to see why",
		"the identity provider showed the %s again after %d tries (%s)", k.what, k.tries, redact.URL(p.Href))
}

// act has the page do a on the state p, and keeps it pending until the page
// settles.
func (f *Model) act(ctx context.Context, k pageKind, a *Action, p Probe) error {
	f.tries[k.name]++
	a.FP = p.FP
	documents, navs := f.page.Documents(), f.page.Navigated()
	r, err := f.page.Act(ctx, a)
	if err != nil || r.Did == "" {
		f.tries[k.name]--
		return nil // the page changed under us; the next probe sees the new state
	}
	if a.Kind == "password" {
		f.ask.password = "" // typed into the page: not kept
	}
	f.pend = &pending{kind: k, doc: r.Doc, fp: r.FP, control: r.Control, errors: r.Errors, at: f.cfg.Now(), documents: documents, navs: navs}
	if a.Kind == "username" || a.Kind == "password" {
		f.filledSignIn = true
	}
	verb := "filled " + a.Kind
	switch {
	case a.Kind == "password":
		verb = "filled credentials"
	case k.approval:
		verb = "passed " + a.Kind
	case a.Kind == "choice":
		verb = "chose"
	}
	f.cfg.Logf("%s at %s: %s", verb, redact.URL(r.Href), r.Did)
	return nil
}
