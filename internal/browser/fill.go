package browser

import (
	"context"
	"time"

	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/redact"
)

// filler walks the IdP's pages as the page model (pages.go) says: it acts
// once on each state the page is in, then waits for the page to settle into
// another state (a new document, or a changed state in the same document)
// before it acts again. A state that does not change after its action is
// given up on; an error that the action produced is the IdP's refusal.
type filler struct {
	s      *loginRun
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

func newFiller(s *loginRun) *filler {
	return &filler{s: s, kinds: pageKinds(), tries: map[string]int{}}
}

// step looks at one probe of an IdP page and acts on it.
func (f *filler) step(ctx context.Context, p probe) error {
	c := f.s.cfg
	f.person = false
	if err := f.passkeyStep(p); err != nil {
		return err
	}
	if pd := f.pend; pd != nil {
		// Settled: a new document that has been parsed, or a new state
		// in the same one. A new state in the same document counts only
		// when the window is not leaving it: the old page may still
		// change (a late translation, a script) while the IdP answers.
		newDoc := p.Doc != pd.doc && (p.Kind != "" || p.Ready != "loading")
		settled := newDoc || p.Kind != "" && p.FP != pd.fp && !f.s.leaving(pd.navs)
		if !settled {
			pd.seenDoc, pd.seenFP = "", ""
			if n := f.s.documents(); n > pd.documents { // the browser is moving on
				pd.documents, pd.at = n, time.Now()
			}
			if time.Since(pd.at) > stuckAfter {
				return failure.New(failure.Timeout,
					"sign in with a window to see what the page wants (or name the control with --submit); -v shows each step",
					"the identity provider's page stayed at the %s after clicking %q (%s)", pd.kind.what, pd.control, redact.URL(p.Href))
			}
			return nil // not settled yet
		}
		// Only an error that the action produced is a refusal: a notice
		// shown before it (e.g. "Authentication required") is not. It is
		// judged at once on a new document; in the same one, and before
		// acting, once the page has settled (settle.go).
		refused := newError(p.Errors, pd.errors)
		if !pd.kind.signIn || !f.kinds[p.Kind].signIn {
			refused = ""
		}
		quiet := f.s.quiet(pd, p, refused != "" && !newDoc)
		if refused != "" && (newDoc || quiet) {
			if k := f.kinds[p.Kind]; f.prompting() && (k.tries == 0 || f.tries[k.name] < k.tries) {
				// The person answered: tell them and ask again.
				f.retryAfter(refused)
				f.pend = nil
				return nil
			}
			return failure.New(failure.Refused, "check --username and the password (CLILOGIN_PASSWORD or --password-stdin)",
				"the identity provider refused the sign-in: %s", f.mask(refused))
		}
		if !quiet {
			return nil
		}
		f.pend = nil
	}

	k, ok := f.kinds[p.Kind]
	if !ok { // a page the model does not know: the person's, if any
		f.person = c.Username == ""
		return nil
	}
	switch {
	case k.signIn && c.Username == "" && !(k.name == "otp" && c.TOTPSecret != "") && !f.prompting():
		if !c.Headless {
			f.person = true
			return nil
		}
		return failure.New(failure.Refused,
			"pass --username (and the password in CLILOGIN_PASSWORD or via --password-stdin), or run with a window",
			"the identity provider asks for a sign-in at %s (%q), and a headless login has nobody to answer it", redact.URL(p.Href), p.Title)
	case k.approval && c.NoConsent:
		if !c.Headless {
			f.person = true
			return nil
		}
		return failure.New(failure.Refused, "drop --no-consent, or approve once in a window (without --headless)",
			"the identity provider asks for consent at %s (%q), and --no-consent forbids approving it", redact.URL(p.Href), p.Title)
	}

	if k.signIn { // credentials go only to https:// or loopback pages
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
	}
	if k.tries > 0 && f.tries[k.name] >= k.tries {
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
	f.tries[k.name]++
	a.FP = p.FP
	documents, navs := f.s.documents(), f.s.navigated()
	r, err := f.s.run(ctx, a)
	if err != nil || r.Did == "" {
		f.tries[k.name]--
		return nil // the page changed under us; the next probe sees the new state
	}
	if a.Kind == "password" {
		f.ask.password = "" // typed into the page: not kept
	}
	f.pend = &pending{kind: k, doc: r.Doc, fp: r.FP, control: r.Control, errors: r.Errors, at: time.Now(), documents: documents, navs: navs}
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
	c.Logf("%s at %s: %s", verb, redact.URL(r.Href), r.Did)
	return nil
}
