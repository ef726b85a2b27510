package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/pagemodel"
)

// The page model on pages nobody here wrote the IdP of: each case is one
// saved page in testdata/forms with the structure of a real IdP's.

// wantInOrder fails unless log holds each of want, in order.
func wantInOrder(t *testing.T, log string, want ...string) {
	t.Helper()
	rest := log
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("log lacks %q (in order %q):\n%s", w, want, log)
		}
		rest = rest[i+len(w):]
	}
}

// 1. A single-page app: sign-in and two consent steps rendered in place.
func TestSinglePageAppStepsAreEachActedOn(t *testing.T) {
	needBrowser(t)
	f := newFlow(t, "spa-steps.html")
	_, log, err := f.login(t, nil)
	if err != nil {
		t.Fatalf("Login: %v\n%s", err, log)
	}
	wantInOrder(t, log, "filled credentials", "clicked Sign in", "passed consent", "clicked Allow", "passed consent", "clicked Allow")
}

// 2. Consent with the scopes as checkboxes: the unticked scopes are ticked,
// "remember my choice" is not.
func TestConsentTicksTheRequestedScopes(t *testing.T) {
	needBrowser(t)
	f := newFlow(t, "one-page.html", "scopes.html")
	_, log, err := f.login(t, nil)
	if err != nil {
		t.Fatalf("Login: %v\n%s", err, log)
	}
	wantInOrder(t, log, "filled credentials", "passed consent", "ticked 2 scopes", "clicked Grant access")
}

// 3. A "continue" step without consent words, in four languages and by
// structure alone.
func TestContinueStepIsRecognised(t *testing.T) {
	needBrowser(t)
	for _, tt := range []struct{ name, primary, logout string }{
		{"English", "Continue", "Logout"},
		{"German", "Weiter", "Abmelden"},
		{"French", "Continuer", "Se déconnecter"},
		{"Spanish", "Continuar", "Cerrar sesión"},
		{"structure only", "Open Example App", "Log out"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFlow(t, "one-page.html", "continue.html")
			f.idp.subst = []string{">Continue<", ">" + tt.primary + "<", ">Logout<", ">" + tt.logout + "<"}
			_, log, err := f.login(t, nil)
			if err != nil {
				t.Fatalf("Login: %v\n%s", err, log)
			}
			wantInOrder(t, log, "filled credentials", "passed continue", "clicked "+tt.primary)
		})
	}
}

// A state that does not change after its action is given up on, naming the
// state and the control, long before --timeout.
func TestStuckStateIsGivenUp(t *testing.T) {
	needBrowser(t)
	f := newFlow(t, "one-page.html", "stuck.html")
	t0 := time.Now()
	_, log, err := f.login(t, func(c *Config) { c.Deadline = time.Now().Add(40 * time.Second) })
	if err == nil {
		t.Fatalf("Login succeeded:\n%s", log)
	}
	if failure.KindOf(err) != failure.Timeout || !strings.Contains(err.Error(), `continue step`) || !strings.Contains(err.Error(), `"Continue"`) {
		t.Errorf("error = %v (kind %v), want a timeout naming the continue step and its Continue button\n%s", err, failure.KindOf(err), log)
	}
	if failure.HintOf(err) == "" {
		t.Error("no hint")
	}
	// Waiting for the deadline would say "timed out waiting", not name the step.
	t.Logf("gave up after %s", time.Since(t0).Round(time.Millisecond))
}

// 4. A notice shown before the submit is not a refusal, however slowly the
// browser leaves the page; an error the submit produced still is.
func TestNoticeBeforeSubmitIsNotARefusal(t *testing.T) {
	needBrowser(t)
	for i := 0; i < 4; i++ {
		f := newFlow(t, "notice.html")
		if i%2 == 1 { // marked only by role=alert, like an error
			f.idp.subst = []string{`class="message message-warning alert" `, ""}
		}
		_, log, err := f.login(t, nil)
		if err != nil {
			t.Fatalf("run %d: Login: %v\n%s", i, err, log)
		}
	}
	f := newFlow(t, "notice.html")
	_, log, err := f.login(t, func(c *Config) { c.Password = "wrong" })
	if failure.KindOf(err) != failure.Refused || !strings.Contains(err.Error(), "refused the sign-in: Wrong password.") {
		t.Errorf("error = %v, want refused with the IdP's new words, not its notice\n%s", err, log)
	}
}

// 4, as the real LemonLDAP::NG portal does it: its notice is empty until
// portal.js translates it, which can happen after the click, while the
// browser waits for the answer to the POST. Neither the notice nor any text
// the old page shows while the browser leaves it is a refusal; a wrong
// password still is, with the portal's new words.
func TestLateTextOnTheOldPageIsNotARefusal(t *testing.T) {
	needBrowser(t)
	for _, tt := range []struct {
		name  string
		subst []string
	}{
		{"the notice, translated late", nil},
		{"an error-like message, translated late", []string{`class="message message-warning alert" role="status"><span trmsg="9">`, `class="message message-negative alert" role="alert"><span trmsg="5">`}},
		// The page's script holds the submit back a moment: no request
		// has left yet when the message shows.
		{"an error-like message, the submit held back", []string{`class="message message-warning alert" role="status"><span trmsg="9">`, `class="message message-negative alert" role="alert"><span trmsg="5">`,
			`addEventListener("submit", translate);`, `addEventListener("submit", (e) => { translate(); e.preventDefault(); setTimeout(() => e.target.submit(), 300); });`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFlow(t, "lemonldap-portal.html")
			f.idp.subst = tt.subst
			_, log, err := f.login(t, nil)
			if err != nil {
				t.Fatalf("Login: %v\n%s", err, log)
			}
			wantInOrder(t, log, "filled credentials", "clicked Connect", "success marker")
		})
	}
	t.Run("a warning on the page the POST produced", func(t *testing.T) {
		// LemonLDAP::NG's form again under its warning that the session
		// expired (div#errormsg > div.message-warning): filled again.
		f := newFlow(t, "lemonldap-portal.html")
		f.idp.subst = []string{"delay=1500ms", "once=lemonldap-expired.html"}
		_, log, err := f.login(t, nil)
		if err != nil {
			t.Fatalf("Login: %v\n%s", err, log)
		}
		if n := strings.Count(log, "filled credentials"); n != 2 {
			t.Errorf("filled credentials %d times, want 2 (the warning's form again)\n%s", n, log)
		}
	})
	for _, tt := range []struct {
		name  string
		subst []string
		want  string
	}{
		{"a wrong password", nil, "refused the sign-in: Wrong password."},
		// The answer to a wrong password as the portal gives it: its
		// message empty until translated, a moment after the page loaded.
		{"a wrong password, its message translated late", []string{`<p class="error" role="alert">Wrong password.</p>`,
			`<div class="message message-negative alert" role="alert"><span trmsg="5"></span></div>`}, "refused the sign-in: Wrong credentials"},
		// The same, its words in a file fetched after the page has loaded
		// (the portal's en.json), slow to come: the page is not judged nor
		// filled again before the answer is shown.
		{"a wrong password, its message's words fetched slowly", []string{`<p class="error" role="alert">Wrong password.</p>`,
			`<div class="message message-negative alert" role="alert"><span trmsg="5"></span></div>`,
			`setTimeout(translate, 300)`, `fetch("/en.json?delay=1200ms").then((r) => r.json()).then((m) => { Object.assign(messages, m, { 5: "Wrong credentials (en.json)" }); translate(); })`},
			"refused the sign-in: Wrong credentials (en.json)"},
		// An error in a role=alert wrapper, styled as a warning inside.
		{"a wrong password, a warning-styled error", []string{`<p class="error" role="alert">Wrong password.</p>`,
			`<div id="login-error" role="alert"><div class="alert alert-warning">Invalid username or password</div></div>`}, "refused the sign-in: Invalid username or password"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFlow(t, "lemonldap-portal.html")
			f.idp.subst = tt.subst
			_, log, err := f.login(t, func(c *Config) { c.Password = "wrong" })
			if failure.KindOf(err) != failure.Refused || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want refused with the IdP's new words %q\n%s", err, tt.want, log)
			}
		})
	}
}

// An IdP that takes longer than the stuck limit to answer the submit is
// waited for (up to the deadline), not reported as a page that stayed put
// (the page cannot be probed while the browser waits for the answer).
func TestASlowAnswerIsNotAStuckPage(t *testing.T) {
	needBrowser(t)
	f := newFlow(t, "lemonldap-portal.html")
	f.idp.subst = []string{"delay=1500ms", "delay=" + (pagemodel.StuckAfter + time.Second).String()}
	_, log, err := f.login(t, nil)
	if err != nil {
		t.Fatalf("Login: %v\n%s", err, log)
	}
}

// A step whose page never goes quiet (an animated heading) is acted on all
// the same, after a while.
func TestAStateThatNeverGoesQuietIsActedOn(t *testing.T) {
	needBrowser(t)
	f := newFlow(t, "one-page.html", "animated-continue.html")
	_, log, err := f.login(t, nil)
	if err != nil {
		t.Fatalf("Login: %v\n%s", err, log)
	}
	wantInOrder(t, log, "filled credentials", "passed continue", "success marker")
}

// 5. Consent needs no credentials: a warm login passes it; a headless login
// that needs a person fails at once with the page's title.
func TestConsentWithoutCredentials(t *testing.T) {
	needBrowser(t)
	noCredentials := func(c *Config) { c.Username, c.Password = "", "" }
	t.Run("consent passed", func(t *testing.T) {
		f := newFlow(t, "consent.html")
		_, log, err := f.login(t, noCredentials)
		if err != nil {
			t.Fatalf("Login: %v\n%s", err, log)
		}
		wantInOrder(t, log, "passed consent", "clicked Allow")
	})
	t.Run("continue passed", func(t *testing.T) {
		f := newFlow(t, "continue.html")
		if _, log, err := f.login(t, noCredentials); err != nil {
			t.Fatalf("Login: %v\n%s", err, log)
		}
	})
	for _, tt := range []struct {
		name  string
		start string
		edit  func(*Config)
		want  string
	}{
		{"sign-in form, headless", "one-page.html", noCredentials, `/one-page.html ("Sign in"), and a headless login has nobody`},
		{"consent with --no-consent, headless", "consent.html", func(c *Config) { noCredentials(c); c.NoConsent = true }, "forbids approving it"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFlow(t, tt.start)
			t0 := time.Now()
			_, log, err := f.login(t, tt.edit)
			if failure.KindOf(err) != failure.Refused || !strings.Contains(fmt100(err), tt.want) {
				t.Errorf("error = %v (kind %v), want refused with %q\n%s", err, failure.KindOf(err), tt.want, log)
			}
			if failure.HintOf(err) == "" {
				t.Error("no hint")
			}
			t.Logf("failed after %s (the deadline's timeout would be another kind)", time.Since(t0).Round(time.Millisecond))
		})
	}
}

func fmt100(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// 6. The success marker where the backend sends the browser: on the login
// path after the IdP (mod_auth_openidc), or at once when already signed in.
func TestSuccessOnTheLoginPath(t *testing.T) {
	needBrowser(t)
	t.Run("back to the URL first asked for", func(t *testing.T) {
		f := newFlow(t, "one-page.html")
		f.backTo = "/login"
		res, log, err := f.login(t, nil)
		if err != nil {
			t.Fatalf("Login: %v\n%s", err, log)
		}
		if !strings.Contains(res.URL, "/login") {
			t.Errorf("success page %s, want the login path", res.URL)
		}
	})
	t.Run("already signed in", func(t *testing.T) {
		f := newFlow(t, "one-page.html")
		f.signedIn = true
		res, log, err := f.login(t, nil)
		if err != nil {
			t.Fatalf("Login: %v\n%s", err, log)
		}
		if len(res.Cookies) == 0 {
			t.Error("no backend cookie taken")
		}
		if strings.Contains(log, "filled") {
			t.Errorf("a form was filled:\n%s", log)
		}
	})
}
