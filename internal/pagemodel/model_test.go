package pagemodel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/failure"
)

// The page model's decisions, without a browser: each probe is one that
// probe.js answered in Chrome on a real IdP's saved page
// (internal/browser/testdata/forms), recorded in testdata/probes by
// internal/browser's TestRecordedProbesAreTheSavedPages.

// recorded loads a recorded probe.
func recorded(t *testing.T, name string) Probe {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "probes", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var p Probe
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// page is the page as the model sees it, played by the test: Act answers
// the probe acted on (with what it did), unless refuse.
type page struct {
	acts         []Action
	docs, navs   int
	leaving      bool
	requestsBusy bool
	refuse       bool // the state changed before the action: Did is ""
	current      Probe
}

func (p *page) Act(_ context.Context, a *Action) (Probe, error) {
	p.acts = append(p.acts, *a)
	r := p.current
	if !p.refuse {
		r.Did = "clicked " + r.Control
	}
	return r, nil
}
func (p *page) Documents() int          { return p.docs }
func (p *page) Navigated() int          { return p.navs }
func (p *page) Leaving(int) bool        { return p.leaving }
func (p *page) RequestsDone(int) bool   { return !p.requestsBusy }
func (p *page) lastAct() (Action, bool) { return last(p.acts) }

func last(as []Action) (Action, bool) {
	if len(as) == 0 {
		return Action{}, false
	}
	return as[len(as)-1], true
}

// fixture is a model on a test page with a clock of its own.
type fixture struct {
	t     *testing.T
	m     *Model
	pg    *page
	now   time.Time
	warns []string
}

func newFixture(t *testing.T, c Config) *fixture {
	f := &fixture{t: t, pg: &page{}, now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	c.Now = func() time.Time { return f.now }
	c.Warnf = func(format string, args ...any) { f.warns = append(f.warns, fmt.Sprintf(format, args...)) }
	f.m = New(c, f.pg)
	return f
}

// step shows the model p; the page answers an action with p.
func (f *fixture) step(p Probe) error {
	f.pg.current = p
	return f.m.Step(context.Background(), p)
}

// mustStep is step without an error.
func (f *fixture) mustStep(p Probe) {
	f.t.Helper()
	if err := f.step(p); err != nil {
		f.t.Fatalf("Step(%s): %v", p.Doc, err)
	}
}

// inDoc is p as shown in the document doc (the same document as a probe
// named doc, after a script changed it).
func inDoc(p Probe, doc string) Probe {
	p.Doc = doc
	return p
}

func creds() Config {
	return Config{Username: "alice@example.com", Password: "correct horse", Headless: true}
}

// wantErr fails unless err is a failure of kind with a message matching re.
func wantErr(t *testing.T, err error, kind failure.Kind, re string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v matching %q", kind, re)
	}
	if failure.KindOf(err) != kind || !regexp.MustCompile(re).MatchString(err.Error()) {
		t.Fatalf("error %v (%v), want %v matching %q", err, failure.KindOf(err), kind, re)
	}
}

// Every kind of pageKinds(), on a recorded page of that kind: what the model
// does with it, with and without what it asks for.
func TestEveryKindIsDecidedOnItsRecordedPage(t *testing.T) {
	window := func(c Config) Config { c.Headless = false; return c }
	cases := []struct {
		name  string
		probe string
		kind  string // what probe.js says the page is
		cfg   Config
		act   string // the action taken, "" for none
		// person: left to the person at the window; else err/errKind
		person  bool
		errKind failure.Kind
		err     string
	}{
		{"password filled", "lemonldap-portal", "password", creds(), "password", false, 0, ""},
		{"password alone", "okta-password", "password", creds(), "password", false, 0, ""},
		{"password without one", "one-page", "password", Config{Username: "alice", Headless: true}, "", false, failure.Usage, "asks for a password, and none was given"},
		{"password headless nobody", "lemonldap-portal", "password", Config{Headless: true}, "", false, failure.Refused, "headless login has nobody to answer it"},
		{"password with a window", "lemonldap-portal", "password", Config{}, "", true, 0, ""},
		{"username filled", "okta-identifier", "username", creds(), "username", false, 0, ""},
		{"username of a script page", "google-identifier", "username", creds(), "username", false, 0, ""},
		{"otp with the secret", "otp", "otp", Config{Username: "alice", TOTPSecret: "JBSWY3DPEHPK3PXP", Headless: true}, "otp", false, 0, ""},
		{"otp with the secret alone", "otp", "otp", Config{TOTPSecret: "JBSWY3DPEHPK3PXP", Headless: true}, "otp", false, 0, ""},
		{"otp without a secret", "otp", "otp", creds(), "", false, failure.Refused, "no TOTP secret was given"},
		{"otp with a bad secret", "otp", "otp", Config{TOTPSecret: "not base32!", Headless: true}, "", false, failure.Usage, "not valid base32"},
		{"unsupported headless", "unsupported", "unsupported", creds(), "", false, failure.Refused, "refuses this headless browser"},
		{"unsupported with a window", "unsupported", "unsupported", window(creds()), "", true, 0, ""},
		{"device headless", "device", "device", creds(), "", false, failure.Refused, "approve the sign-in on a device"},
		{"device with a window", "device", "device", window(creds()), "", true, 0, ""},
		{"choice", "choice", "choice", creds(), "", true, 0, ""},
		{"consent", "consent", "consent", creds(), "consent", false, 0, ""},
		{"consent of scopes", "scopes", "consent", creds(), "consent", false, 0, ""},
		{"stay signed in", "stay-signed-in", "consent", Config{Headless: true}, "consent", false, 0, ""},
		{"consent refused", "consent", "consent", Config{NoConsent: true, Headless: true}, "", false, failure.Refused, "--no-consent forbids"},
		{"consent left to the window", "scopes", "consent", Config{NoConsent: true}, "", true, 0, ""},
		{"continue", "continue", "continue", Config{Headless: true}, "continue", false, 0, ""},
		{"continue refused", "stuck", "continue", Config{NoConsent: true, Headless: true}, "", false, failure.Refused, "--no-consent forbids"},
	}
	covered := map[string]bool{}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			p := recorded(t, tt.probe)
			if p.Kind != tt.kind {
				t.Fatalf("the recorded %s is a %q page, want %q", tt.probe, p.Kind, tt.kind)
			}
			covered[p.Kind] = true
			f := newFixture(t, tt.cfg)
			err := f.step(p)
			if tt.err != "" {
				wantErr(t, err, tt.errKind, tt.err)
			} else if err != nil {
				t.Fatal(err)
			}
			a, acted := f.pg.lastAct()
			switch {
			case tt.act == "" && acted:
				t.Errorf("acted %+v, want no action", a)
			case tt.act != "" && (!acted || a.Kind != tt.act || a.FP != p.FP):
				t.Errorf("acted %+v (%v), want %s on %q", a, acted, tt.act, p.FP)
			}
			if f.m.Person() != tt.person {
				t.Errorf("Person() = %v, want %v", f.m.Person(), tt.person)
			}
			switch tt.act {
			case "password":
				if a.Username != tt.cfg.Username || a.Password != tt.cfg.Password || !f.m.FilledSignIn() {
					t.Errorf("the password action %+v (filled %v) does not carry the credentials", a, f.m.FilledSignIn())
				}
			case "otp":
				if !regexp.MustCompile(`^\d{6}$`).MatchString(a.Code) {
					t.Errorf("one-time code %q", a.Code)
				}
			}
		})
	}
	for name := range pageKinds() {
		if !covered[name] {
			t.Errorf("no case for the %s kind", name)
		}
	}
}

// A page the model knows no kind of is the person's, when nobody gave
// credentials.
func TestAnUnknownPageIsThePersons(t *testing.T) {
	p := recorded(t, "continue")
	p.Kind = ""
	for _, tt := range []struct {
		cfg    Config
		person bool
	}{{Config{}, true}, {creds(), false}} {
		f := newFixture(t, tt.cfg)
		f.mustStep(p)
		if len(f.pg.acts) != 0 || f.m.Person() != tt.person {
			t.Errorf("%+v: acts %v, person %v", tt.cfg, f.pg.acts, f.m.Person())
		}
	}
}

// Credentials go only to https:// or loopback pages, and only to forms
// that send there, unless --insecure-http.
func TestCredentialsGoOnlyToEncryptedOrLoopbackPages(t *testing.T) {
	clear := recorded(t, "lemonldap-portal")
	clear.Href = "http://idp.example/lemonldap-portal.html"
	posts := recorded(t, "lemonldap-portal")
	posts.Href = "http://127.0.0.1:8080/"
	posts.Posts = []string{"http://idp.example/authenticate"}
	loop := recorded(t, "lemonldap-portal")
	loop.Href, loop.Posts = "http://localhost:8080/", []string{"http://localhost:8080/authenticate"}
	for _, tt := range []struct {
		name     string
		p        Probe
		insecure bool
		err      string
		warned   bool
	}{
		{"http page", clear, false, "is not encrypted", false},
		{"form posting to http", posts, false, "sends to http://idp.example/authenticate", false},
		{"http page allowed", clear, true, "", true},
		{"form posting to http allowed", posts, true, "", true},
		{"loopback", loop, false, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := creds()
			c.InsecureHTTP = tt.insecure
			f := newFixture(t, c)
			err := f.step(tt.p)
			if tt.err != "" {
				wantErr(t, err, failure.Usage, tt.err)
				if len(f.pg.acts) != 0 {
					t.Errorf("acted %+v", f.pg.acts)
				}
				return
			}
			if err != nil || len(f.pg.acts) != 1 {
				t.Fatalf("err %v, acts %+v", err, f.pg.acts)
			}
			if (len(f.warns) > 0) != tt.warned {
				t.Errorf("warnings %q, want one: %v", f.warns, tt.warned)
			}
		})
	}
}

// The settle rule: after an action, a state is acted on once it has
// settled: a new document, or a new state in the same one that the window
// is not leaving, loaded, calm, with no request pending; a state that shows
// a sign of change no event ends (a blank error box, no watcher) waits
// quietFor unchanged, and a page that never settles quietCap.
func TestTheSettleRule(t *testing.T) {
	busy := func(pg *page) { pg.requestsBusy = true }
	leaving := func(pg *page) { pg.leaving = true }
	cases := []struct {
		name string
		// after the username action on spa, the page shows next in the
		// same document (or another document when newDoc)
		next   string
		newDoc bool
		edit   func(*Probe)
		page   func(*page)
		// acts: whether the password is filled at once, and after wait
		// unchanged on the clock
		atOnce bool
		wait   time.Duration
	}{
		{name: "new state, calm", next: "okta-password", atOnce: true},
		{name: "new document, calm", next: "okta-password", newDoc: true, atOnce: true},
		{name: "the same state", next: "spa", wait: time.Hour},
		{name: "new state, window leaving", next: "okta-password", page: leaving, wait: time.Hour},
		{name: "new document, window leaving", next: "okta-password", newDoc: true, page: leaving, atOnce: true},
		{name: "new state, still loading", next: "okta-password", edit: func(p *Probe) { p.Ready = "interactive" }, wait: quietCap},
		{name: "new state, not calm", next: "okta-password", edit: func(p *Probe) { p.Settle.Calm = false }, wait: quietCap},
		{name: "new state, a request pending", next: "okta-password", page: busy, wait: quietCap},
		{name: "new state with a blank error box (LemonLDAP::NG)", next: "lemonldap-portal", wait: quietFor},
		{name: "new state, no watcher", next: "okta-password", edit: func(p *Probe) { p.Settle = nil }, wait: quietFor},
		{name: "new document still loading, no kind", next: "okta-password", newDoc: true, edit: func(p *Probe) { p.Ready, p.Kind = "loading", "" }, wait: time.Hour},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, creds())
			first := recorded(t, "spa")
			f.mustStep(first)
			if a, _ := f.pg.lastAct(); a.Kind != "username" {
				t.Fatalf("acted %+v on spa, want username", f.pg.acts)
			}
			next := recorded(t, tt.next)
			if !tt.newDoc {
				next = inDoc(next, first.Doc)
			}
			if tt.edit != nil {
				tt.edit(&next)
			}
			if tt.page != nil {
				tt.page(f.pg)
			}
			f.mustStep(next)
			if acted := len(f.pg.acts) == 2; acted != tt.atOnce {
				t.Fatalf("acted at once: %v, want %v (%+v)", acted, tt.atOnce, f.pg.acts)
			}
			if tt.atOnce {
				return
			}
			if tt.wait >= time.Hour { // never, however long: the stuck rule ends it
				f.now = f.now.Add(StuckAfter / 2)
				f.mustStep(next)
				if len(f.pg.acts) != 1 {
					t.Fatalf("acted on an unsettled state: %+v", f.pg.acts)
				}
				return
			}
			f.now = f.now.Add(tt.wait - time.Millisecond)
			f.mustStep(next)
			if len(f.pg.acts) != 1 {
				t.Fatalf("acted before %s: %+v", tt.wait, f.pg.acts)
			}
			f.now = f.now.Add(time.Millisecond)
			f.mustStep(next)
			if a, _ := f.pg.lastAct(); len(f.pg.acts) != 2 || a.Kind != "password" {
				t.Fatalf("not acted after %s: %+v", tt.wait, f.pg.acts)
			}
		})
	}
}

// An error is the IdP's refusal only when the action produced it, between
// sign-in pages; one shown before the action is a notice. On a new
// document it is judged at once, in the same document once it stayed
// quietFor.
func TestRefusalOrNotice(t *testing.T) {
	cases := []struct {
		name          string
		acted, answer string // the recorded pages acted on and answered
		sameDoc       bool
		refused       string // the refusal, "" for none
		afterQuiet    bool   // judged only after quietFor
		actsAgain     bool   // else nothing happens yet
	}{
		{name: "wrong password on a new document (LemonLDAP::NG)", acted: "lemonldap-portal", answer: "lemonldap-portal-wrong-password", refused: "Wrong password."},
		{name: "unknown user in the same document (Okta)", acted: "okta-identifier", answer: "okta-identifier-unknown-user", sameDoc: true, refused: "unknown user", afterQuiet: true},
		{name: "invalid code", acted: "otp", answer: "otp-invalid-code", refused: "Invalid code."},
		{name: "the error shown before the submit is a notice", acted: "notice-wrong-password", answer: "notice-wrong-password", actsAgain: true},
		{name: "an error after a consent is no sign-in refusal", acted: "consent", answer: "otp-invalid-code", actsAgain: true},
		{name: "no error: the next page", acted: "okta-identifier", answer: "okta-password", actsAgain: true},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			c := creds()
			c.TOTPSecret = "JBSWY3DPEHPK3PXP"
			f := newFixture(t, c)
			acted := recorded(t, tt.acted)
			f.mustStep(acted)
			if len(f.pg.acts) != 1 {
				t.Fatalf("no action on %s", tt.acted)
			}
			answer := recorded(t, tt.answer)
			if tt.sameDoc {
				answer = inDoc(answer, acted.Doc)
			} else if tt.answer == tt.acted {
				answer.Doc += " again"
			}
			err := f.step(answer)
			if tt.afterQuiet {
				if err != nil || len(f.pg.acts) != 1 {
					t.Fatalf("judged before the page was quiet: %v, %+v", err, f.pg.acts)
				}
				f.now = f.now.Add(quietFor)
				err = f.step(answer)
			}
			if tt.refused != "" {
				wantErr(t, err, failure.Refused, "refused the sign-in: .*"+regexp.QuoteMeta(tt.refused))
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.actsAgain != (len(f.pg.acts) == 2) {
				t.Fatalf("acts %+v", f.pg.acts)
			}
		})
	}
}

// A refusal never shows a secret that was given or typed.
func TestARefusalMasksTheSecrets(t *testing.T) {
	c := creds()
	c.Password = "hunter2"
	f := newFixture(t, c)
	f.mustStep(recorded(t, "lemonldap-portal"))
	answer := recorded(t, "lemonldap-portal-wrong-password")
	answer.Errors = []string{"Wrong password hunter2 for alice@example.com"}
	err := f.step(answer)
	wantErr(t, err, failure.Refused, "refused the sign-in")
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "alice@example.com") {
		t.Fatalf("the refusal shows a secret: %v", err)
	}
}

// A kind is acted on at most its tries in one login: an IdP that shows
// the form again ends the login, naming what it said.
func TestRetriesOfAKind(t *testing.T) {
	cases := []struct {
		probe string
		tries int
		err   string
	}{
		{"notice-wrong-password", 2, `showed its sign-in form again after the password was submitted: Wrong password\.$`},
		{"okta-identifier", 3, `showed the sign-in form again after 3 tries`},
		{"choice", 0, ""},
		{"continue", 5, `showed the continue step again after 5 tries`},
		{"consent", 5, `showed the consent step again after 5 tries`},
	}
	for _, tt := range cases {
		t.Run(tt.probe, func(t *testing.T) {
			f := newFixture(t, creds())
			p := recorded(t, tt.probe)
			var err error
			for i := 0; i <= tt.tries+1 && err == nil; i++ {
				p.Doc = fmt.Sprintf("%s #%d", tt.probe, i) // a new document each time
				err = f.step(p)
			}
			if tt.err == "" {
				if err != nil || len(f.pg.acts) != 0 {
					t.Fatalf("err %v, acts %+v", err, f.pg.acts)
				}
				return
			}
			wantErr(t, err, failure.Refused, tt.err)
			if len(f.pg.acts) != tt.tries {
				t.Errorf("acted %d times, want %d", len(f.pg.acts), tt.tries)
			}
		})
	}
}

// An action the page did not take (the state changed under it) is no try.
func TestAnActionNotTakenIsNoTry(t *testing.T) {
	f := newFixture(t, creds())
	f.pg.refuse = true
	p := recorded(t, "continue")
	for range 10 {
		f.mustStep(p)
	}
	f.pg.refuse = false
	f.mustStep(p)
	if len(f.pg.acts) != 11 || f.m.pend == nil {
		t.Fatalf("acts %d, pending %v", len(f.pg.acts), f.m.pend)
	}
}

// A state that stays after its action, with no document coming, is given
// up on after StuckAfter; a document requested meanwhile starts the count
// again.
func TestAStuckStateIsGivenUp(t *testing.T) {
	f := newFixture(t, creds())
	p := recorded(t, "stuck")
	f.mustStep(p)
	f.now = f.now.Add(StuckAfter)
	f.mustStep(p)
	f.pg.docs++ // the browser is moving on
	f.mustStep(p)
	f.now = f.now.Add(StuckAfter)
	f.mustStep(p)
	f.now = f.now.Add(time.Millisecond)
	wantErr(t, f.step(p), failure.Timeout, `stayed at the continue step after clicking "Continue"`)
	if len(f.pg.acts) != 1 {
		t.Fatalf("acts %+v", f.pg.acts)
	}
}

// A passkey the IdP does not accept ends the login at once.
func TestARefusedPasskeyEndsTheLogin(t *testing.T) {
	p := recorded(t, "continue")
	p.WebAuthn = &WebAuthnState{Requests: 1, Error: "get: NotAllowedError: no credential"}
	for _, tt := range []struct {
		cfg Config
		err string
	}{
		{Config{Passkey: true}, "passkey of CLILOGIN_WEBAUTHN_CREDENTIAL was not accepted"},
		{Config{EnrollPasskey: true}, "passkey registration"},
	} {
		wantErr(t, newFixture(t, tt.cfg).step(p), failure.Refused, tt.err)
	}
	if err := newFixture(t, Config{}).step(p); err != nil { // no passkey of clilogin's: the page's own business
		t.Fatal(err)
	}
}

// prompter answers at the "terminal" from a script.
type prompter struct {
	answers []string
	said    []string
}

func (p *prompter) next(q string) (string, error) {
	p.said = append(p.said, "? "+q)
	if len(p.answers) == 0 {
		return "", errors.New("no more answers")
	}
	a := p.answers[0]
	p.answers = p.answers[1:]
	return a, nil
}
func (p *prompter) Ask(_ context.Context, q string) (string, error)       { return p.next(q) }
func (p *prompter) AskSecret(_ context.Context, q string) (string, error) { return p.next(q) }
func (p *prompter) Choose(_ context.Context, q string, o []string) (int, error) {
	_, err := p.next(q + " " + strings.Join(o, "|"))
	return 1, err
}
func (p *prompter) Notify(msg string) { p.said = append(p.said, msg) }

// At a terminal, a refusal is told and the person asked again, within the
// kind's tries; what they typed never shows.
func TestAPromptedRefusalIsAskedAgain(t *testing.T) {
	pr := &prompter{answers: []string{"bob", "typo-pw", "bob", "right-pw"}}
	f := newFixture(t, Config{Headless: true, Prompt: pr})
	portal := recorded(t, "lemonldap-portal")
	f.mustStep(portal)
	wrong := recorded(t, "lemonldap-portal-wrong-password")
	wrong.Errors = []string{"Wrong password typo-pw."}
	f.mustStep(wrong) // told, the answers forgotten
	wrong.Doc += " seen"
	f.mustStep(wrong) // asked again
	if len(f.pg.acts) != 2 || f.pg.acts[1].Password != "right-pw" || f.pg.acts[1].Username != "bob" {
		t.Fatalf("acts %+v", f.pg.acts)
	}
	said := strings.Join(pr.said, "\n")
	if !strings.Contains(said, "the identity provider says: Wrong password ***.") && !strings.Contains(said, "the identity provider says: Wrong password") {
		t.Errorf("the refusal was not told:\n%s", said)
	}
	if strings.Contains(said, "typo-pw") {
		t.Errorf("the typed password shows:\n%s", said)
	}
}

// A choice at the terminal takes the option the person chose.
func TestAChoiceAtTheTerminal(t *testing.T) {
	pr := &prompter{answers: []string{""}}
	f := newFixture(t, Config{Headless: true, Prompt: pr})
	f.mustStep(recorded(t, "choice"))
	if a, _ := f.pg.lastAct(); a.Kind != "choice" || a.Choice != 1 {
		t.Fatalf("acts %+v", f.pg.acts)
	}
	if !strings.Contains(strings.Join(pr.said, "\n"), "Choose a way to verify Text message|Authenticator app") {
		t.Errorf("asked %q", pr.said)
	}
}

// At a terminal, a number-matching step is told once, with its number, and
// left to the person.
func TestADeviceStepIsToldOnceAtTheTerminal(t *testing.T) {
	pr := &prompter{}
	f := newFixture(t, Config{Headless: true, Prompt: pr})
	p := recorded(t, "device")
	f.mustStep(p)
	f.mustStep(p)
	said := strings.Join(pr.said, "\n")
	if strings.Count(said, "the number to match is 42") != 1 || len(f.pg.acts) != 0 || !f.m.Person() {
		t.Fatalf("said %q, acts %+v, person %v", pr.said, f.pg.acts, f.m.Person())
	}
}
