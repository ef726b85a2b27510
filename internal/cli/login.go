package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/clilogin/clilogin/internal/browser"
	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/escape"
	"github.com/clilogin/clilogin/internal/failure"
)

func runLogin(ctx context.Context, a *app) error {
	e, src, err := a.obtain(ctx, true)
	if err != nil {
		return err
	}
	switch a.o.Output {
	case "json":
		a.steps.end()
		return writeJSON(a.stdio.Out, loginJSON{Backend: escape.Control(e.Backend), Account: escape.Control(a.o.Account), Identity: escape.Control(e.Identity),
			ExpiresAt: timePtr(e.TokenExpiresAt), Source: src, Timings: a.steps.seconds()})
	case "env":
		fmt.Fprintf(a.stdio.Out, "export CLILOGIN_BACKEND=%s\n", shellQuote(escape.Control(e.Backend)))
		fmt.Fprintf(a.stdio.Out, "export CLILOGIN_ACCOUNT=%s\n", shellQuote(escape.Control(a.o.Account)))
		if e.Identity != "" {
			fmt.Fprintf(a.stdio.Out, "export CLILOGIN_IDENTITY=%s\n", shellQuote(escape.Control(e.Identity)))
		}
		return nil
	}
	if e.Identity == "" {
		fmt.Fprintf(a.stdio.Out, "logged in to %s\n", escape.Control(e.Backend))
		return nil
	}
	fmt.Fprintf(a.stdio.Out, "logged in to %s as %s\n", escape.Control(e.Backend), escape.Control(e.Identity))
	return nil
}

// loginJSON is login's -o json: no token.
type loginJSON struct {
	Backend   string             `json:"backend"`
	Account   string             `json:"account"`
	Identity  string             `json:"identity,omitempty"`
	ExpiresAt *time.Time         `json:"token_expires_at,omitempty"`
	Source    source             `json:"source,omitempty"`  // how the session was got
	Timings   map[string]float64 `json:"timings,omitempty"` // seconds per step
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func writeJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

// signIn runs the browser login with the IdP's stored session put back
// into the browser (or, with clearCookies, the profile's cookies cleared
// first, so that the IdP asks who signs in), and returns the backend's cookies and the IdP's
// session. The browser closes in the background, while the backend is
// asked for the token; the Result's Wait waits until it has closed and the
// profile is unlocked.
func (a *app) signIn(ctx context.Context, session []cookies.Cookie, clearCookies bool) (*browser.Result, error) {
	o, stdio := a.o, a.stdio
	password := a.password
	if !o.PasswordStdin {
		password, _ = a.env("CLILOGIN_PASSWORD")
	}
	totpSecret, _ := a.env("CLILOGIN_TOTP_SECRET")
	pk, err := a.passkey()
	if err != nil {
		return nil, err
	}
	prompt := a.prompter()
	// With prompts the terminal's lines are the person's: no spinner.
	sp := &spinner{w: stdio.Err, on: stdio.ErrIsTerminal && !o.Verbose && prompt == nil}
	defer sp.stop()
	if !o.Headless {
		fmt.Fprintf(stdio.Err, "clilogin: opening a browser window to sign in to %s (Ctrl-C to cancel)\n", o.Backend.Redacted())
	}
	res, err := a.browserLogin(ctx, browser.Config{
		Browser:        o.Browser,
		BrowserArgs:    o.BrowserArgs,
		Headless:       o.Headless,
		Profile:        o.Profile,
		Backend:        o.Backend,
		LoginPath:      o.LoginPath,
		CallbackPath:   o.CallbackPath,
		Marker:         o.Success,
		CookieURLs:     o.Backend.CookieURLs(o.TokenPath, o.WhoamiPath, o.CallbackPath),
		IdPSession:     session,
		ClearCookies:   clearCookies,
		Username:       o.Username,
		Password:       password,
		UsernameField:  o.UsernameField,
		PasswordField:  o.PasswordField,
		Submit:         o.Submit,
		NoConsent:      o.NoConsent,
		TOTPSecret:     totpSecret,
		Remote:         o.RemoteBrowser,
		InsecureRemote: o.InsecureRemoteBrowser,
		InsecureHTTP:   o.InsecureHTTP,
		Artifacts:      o.Artifacts,
		Deadline:       a.deadline,
		Logf:           a.log.logf,
		Warnf:          a.warnf,
		Step:           a.steps.step,
		Waiting:        func() { sp.start("waiting for you to sign in in the browser window") },
		Prompt:         prompt,
		Passkey:        pk,
		EnrollPasskey:  a.enroll,
	})
	sp.stop()
	if err != nil {
		return nil, err
	}
	a.log.logf("login finished at %s", res.URL)
	a.enrolled = res.Passkey
	return res, nil
}

// whoami asks the whoami path who the token is and checks
// --expect-identity.
func (a *app) whoami(ctx context.Context, tok string) (string, error) {
	id, err := a.client.WhoAmI(ctx, a.o.WhoamiPath, tok)
	if err != nil {
		return "", err
	}
	a.log.logf("%s says the token is %s", a.o.WhoamiPath, id)
	if a.o.ExpectIdentity != "" && id != a.o.ExpectIdentity {
		return "", failure.New(failure.Refused, "sign in as the expected user, or fix --expect-identity",
			"logged in as %q, expected %q", id, a.o.ExpectIdentity)
	}
	return id, nil
}

// maxPasswordLine bounds the line --password-stdin reads.
const maxPasswordLine = 64 << 10

// readPasswordStdin reads the password, the first line of standard input,
// for --password-stdin. It reads byte by byte and stops at the newline, so
// that the rest of the input stays unread: exec's command gets it.
func readPasswordStdin(in io.Reader) (string, error) {
	if in == nil {
		return "", failure.New(failure.Usage, "pipe the password in: printf '%s\\n' \"$PASSWORD\" | clilogin …", "--password-stdin: no standard input")
	}
	line, err := readLine(in)
	if err != nil {
		return "", failure.New(failure.Usage, "pipe the password alone on the first line of standard input", "--password-stdin: %w", err)
	}
	if line == "" {
		return "", failure.New(failure.Usage, "pipe the password to standard input", "--password-stdin: standard input is empty")
	}
	return line, nil
}

// readLine reads one line without reading past its newline, and returns it
// without its line ending.
func readLine(in io.Reader) (string, error) {
	var line []byte
	b := make([]byte, 1)
	for len(line) <= maxPasswordLine {
		n, err := in.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	if len(line) > maxPasswordLine {
		return "", fmt.Errorf("the first line is longer than %d bytes", maxPasswordLine)
	}
	return strings.TrimSuffix(string(line), "\r"), nil
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// spinner shows that clilogin waits for the person at the browser.
type spinner struct {
	w    io.Writer
	on   bool
	mu   sync.Mutex
	done chan struct{}
	wg   sync.WaitGroup
}

func (s *spinner) start(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.on || s.done != nil {
		return
	}
	s.done = make(chan struct{})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		frames := []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
		t0 := time.Now()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			fmt.Fprintf(s.w, "\r%c %s… %ds ", frames[i%len(frames)], msg, int(time.Since(t0).Seconds()))
			select {
			case <-s.done:
				fmt.Fprint(s.w, "\r\033[K")
				return
			case <-tick.C:
			}
		}
	}()
}

func (s *spinner) stop() {
	s.mu.Lock()
	if s.done != nil {
		close(s.done)
		s.done = nil
	}
	s.mu.Unlock()
	s.wg.Wait()
}
