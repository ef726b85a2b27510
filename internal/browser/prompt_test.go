package browser

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/clilogin/clilogin/internal/failure"
)

// fakePrompter answers the page model's questions from a script and records
// what it was asked and told.
type fakePrompter struct {
	mu      sync.Mutex
	answers map[string][]string // by question, in order
	said    []string            // "ask: …", "secret: …", "notify: …"
}

func (p *fakePrompter) answer(kind, q string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.said = append(p.said, kind+": "+q)
	as := p.answers[q]
	if len(as) == 0 {
		return "", errors.New("no answer scripted for " + q)
	}
	p.answers[q] = as[1:]
	if as[0] == "<code>" {
		return totp.GenerateCode(testSecret, time.Now())
	}
	return as[0], nil
}

func (p *fakePrompter) Ask(_ context.Context, q string) (string, error) { return p.answer("ask", q) }
func (p *fakePrompter) AskSecret(_ context.Context, q string) (string, error) {
	return p.answer("secret", q)
}
func (p *fakePrompter) Choose(_ context.Context, q string, opts []string) (int, error) {
	a, err := p.answer("choose", q+" "+strings.Join(opts, "|"))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(a)
}
func (p *fakePrompter) Notify(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.said = append(p.said, "notify: "+msg)
}

func (p *fakePrompter) transcript() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.said, "\n")
}

// A headless login with a prompter asks the person for what it lacks: the
// user name, the password (again after the IdP refused it, with the IdP's
// words) and the one-time code; the typed password appears in no log.
func TestPromptsAskWhatTheConfigLacks(t *testing.T) {
	needBrowser(t)
	f := newFlow(t, "one-page.html", "otp.html")
	p := &fakePrompter{answers: map[string][]string{
		"User name: ":     {testUser, testUser},
		"Password: ":      {"wrong-Pa55", testPassword},
		"One-time code: ": {"<code>"},
	}}
	_, log, err := f.login(t, func(c *Config) {
		c.Username, c.Password, c.Prompt = "", "", p
	})
	if err != nil {
		t.Fatalf("login: %v\nprompts:\n%s\nlog:\n%s", err, p.transcript(), log)
	}
	want := []string{"notify: signing in at localhost:", "ask: User name: ", "secret: Password: ",
		"notify: the identity provider says: Wrong password.", "ask: User name: ", "secret: Password: ", "ask: One-time code: "}
	rest := p.transcript()
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("prompts lack %q (in order %q):\n%s", w, want, p.transcript())
		}
		rest = rest[i+len(w):]
	}
	for _, secret := range []string{testPassword, "wrong-Pa55"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log shows a typed password:\n%s", log)
		}
	}
}

// The person gets as many tries as the page model allows; then the
// refusal ends the login with the IdP's words, and the typed password is
// not in the message.
func TestPromptsGiveUpAfterTheRetries(t *testing.T) {
	needBrowser(t)
	f := newFlow(t, "one-page.html")
	p := &fakePrompter{answers: map[string][]string{
		"User name: ": {testUser, testUser, testUser},
		"Password: ":  {"wrong-1-Pa55", "wrong-2-Pa55", "wrong-3-Pa55"},
	}}
	_, _, err := f.login(t, func(c *Config) { c.Username, c.Password, c.Prompt = "", "", p })
	if failure.KindOf(err) != failure.Refused || !strings.Contains(err.Error(), "Wrong password.") {
		t.Fatalf("err = %v (%v), want a refusal with the IdP's words\nprompts:\n%s", err, failure.KindOf(err), p.transcript())
	}
	if strings.Contains(err.Error(), "wrong-") {
		t.Errorf("the error shows a typed password: %v", err)
	}
	if n := strings.Count(p.transcript(), "secret: Password: "); n != 2 {
		t.Errorf("the password was asked %d times, want 2:\n%s", n, p.transcript())
	}
}

// A password typed at the terminal is masked like one given by
// CLILOGIN_PASSWORD wherever a failed login shows the page's words: in the
// error (a callback's 500 that quotes it) and in the artifacts.
func TestATypedPasswordIsMaskedInTheErrorAndArtifacts(t *testing.T) {
	needBrowser(t)
	f := newFlow(t, "one-page.html")
	f.callbackStatus = http.StatusInternalServerError
	f.callbackSays = "token exchange exploded for " + testPassword
	p := &fakePrompter{answers: map[string][]string{"Password: ": {testPassword}}}
	dir := t.TempDir()
	_, log, err := f.login(t, func(c *Config) { c.Password, c.Prompt, c.Artifacts = "", p, dir })
	if failure.KindOf(err) != failure.Unreachable || !strings.Contains(fmt.Sprint(err), "token exchange exploded for ") {
		t.Fatalf("err = %v, want unreachable with the callback's words\nprompts:\n%s\nlog:\n%s", err, p.transcript(), log)
	}
	if strings.Contains(fmt.Sprint(err), testPassword) {
		t.Errorf("the error shows the typed password: %v", err)
	}
	files, _ := os.ReadDir(dir)
	if len(files) == 0 {
		t.Fatal("no artifacts written")
	}
	for _, e := range files {
		if b, _ := os.ReadFile(filepath.Join(dir, e.Name())); strings.Contains(string(b), testPassword) {
			t.Errorf("%s shows the typed password", e.Name())
		}
	}
}

// Without a prompter (no terminal, or --no-prompt) a headless login ends at
// the first sign-in form it cannot fill, as before.
func TestNoPrompterIsRefusedAtOnce(t *testing.T) {
	needBrowser(t)
	f := newFlow(t, "one-page.html")
	_, _, err := f.login(t, func(c *Config) { c.Username, c.Password = "", "" })
	if failure.KindOf(err) != failure.Refused || !strings.Contains(err.Error(), "a headless login has nobody to answer it") {
		t.Fatalf("err = %v, want the headless refusal", err)
	}
}

// A choice between ways to sign in is asked with the page's options, and
// the one chosen is taken (here the second: the first leads nowhere).
func TestPromptsChooseAndFollowTheChoice(t *testing.T) {
	needBrowser(t)
	f := newFlow(t, "one-page.html", "choice.html")
	p := &fakePrompter{answers: map[string][]string{
		"Choose a way to verify Text message|Authenticator app": {"1"},
		"One-time code: ": {"<code>"},
	}}
	_, log, err := f.login(t, func(c *Config) { c.Prompt = p })
	if err != nil {
		t.Fatalf("login: %v\nprompts:\n%s\nlog:\n%s", err, p.transcript(), log)
	}
	if !strings.Contains(log, "chose at ") || !strings.Contains(log, "clicked Authenticator app") {
		t.Errorf("the log does not show the choice:\n%s", log)
	}
}

// An "approve on your device" step shows the number to match at the
// terminal and waits for the page to go on; without a terminal it ends a
// headless login at once.
func TestPromptsShowTheNumberToMatch(t *testing.T) {
	needBrowser(t)
	f := newFlow(t, "one-page.html", "device.html")
	p := &fakePrompter{answers: map[string][]string{}}
	_, log, err := f.login(t, func(c *Config) { c.Prompt = p })
	if err != nil {
		t.Fatalf("login: %v\nprompts:\n%s\nlog:\n%s", err, p.transcript(), log)
	}
	if got := p.transcript(); strings.Count(got, "the number to match is 42") != 1 {
		t.Errorf("the number to match was not shown once:\n%s", got)
	}

	f = newFlow(t, "one-page.html", "device.html")
	_, _, err = f.login(t, nil)
	if failure.KindOf(err) != failure.Refused || !strings.Contains(err.Error(), "asks to approve the sign-in on a device") {
		t.Fatalf("without a prompter: err = %v, want a refusal naming the device step", err)
	}
}
