package pagemodel

import (
	"context"
	"net/url"
	"slices"

	"github.com/clilogin/clilogin/internal/escape"
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/redact"
)

// Prompter asks the person at the terminal what a headless login's page
// asks and clilogin has nothing to fill in with. Questions and notices are
// shown as given (the model escapes what comes from the page); answers are
// never logged.
type Prompter interface {
	// Ask asks a question whose answer may be shown as it is typed.
	Ask(ctx context.Context, question string) (string, error)
	// AskSecret asks a question whose answer is not shown.
	AskSecret(ctx context.Context, question string) (string, error)
	// Choose asks which of options to take and returns its index.
	Choose(ctx context.Context, question string, options []string) (int, error)
	// Notify tells the person something without asking.
	Notify(msg string)
}

// prompts is what the model has asked at the terminal in this login. The
// password is kept only until it is typed into the page (and for masking
// the errors that follow it); nothing here is written anywhere.
type prompts struct {
	username string
	password string // until submitted
	typed    []string
	shown    string // the host last named to the person
	device   string // the device step last told of
}

// Typed is what the person typed at the terminal in this login (passwords,
// one-time codes): secrets as much as the configured ones.
func (f *Model) Typed() []string { return slices.Clone(f.ask.typed) }

// prompting says whether this login asks at the terminal.
func (f *Model) prompting() bool {
	return f.cfg.Prompt != nil && f.cfg.Headless
}

// prompted answers a sign-in page by asking at the terminal what the
// configuration does not give: nil with no error when the configuration has
// all the kind's action needs (or prompts are off).
func (f *Model) prompted(ctx context.Context, k pageKind, p Probe) (*Action, error) {
	c := f.cfg
	if !f.prompting() {
		return nil, nil
	}
	username := c.Username
	if username == "" {
		username = f.ask.username
	}
	switch k.name {
	case "username":
		if c.Username != "" {
			return nil, nil
		}
		f.introduce(p)
		u, err := f.askUser(ctx)
		if err != nil {
			return nil, err
		}
		return &Action{Kind: "username", Username: u}, nil
	case "password":
		if c.Username != "" && c.Password != "" {
			return nil, nil
		}
		return f.promptPassword(ctx, p, username)
	case "otp":
		if c.TOTPSecret != "" {
			return nil, nil
		}
		f.introduce(p)
		code, err := c.Prompt.Ask(ctx, "One-time code: ")
		if err != nil {
			return nil, f.promptError(ctx, err)
		}
		f.ask.typed = append(f.ask.typed, code)
		return &Action{Kind: "otp", Code: code}, nil
	case "choice":
		return f.promptChoice(ctx, p)
	case "device":
		f.tellDevice(p)
	}
	return nil, nil
}

// promptPassword asks for what the sign-in form needs that the
// configuration does not give: the user name, when the form asks for it,
// and the password.
func (f *Model) promptPassword(ctx context.Context, p Probe, username string) (*Action, error) {
	c := f.cfg
	f.introduce(p)
	if p.Users > 0 && username == "" {
		u, err := f.askUser(ctx)
		if err != nil {
			return nil, err
		}
		username = u
	}
	password := c.Password
	if password == "" {
		if password = f.ask.password; password == "" {
			pw, err := c.Prompt.AskSecret(ctx, "Password: ")
			if err != nil {
				return nil, f.promptError(ctx, err)
			}
			if pw == "" {
				return nil, failure.New(failure.Refused, "type the password at the prompt, or set CLILOGIN_PASSWORD",
					"no password was typed")
			}
			f.ask.password = pw
			f.ask.typed = append(f.ask.typed, pw)
			password = pw
		}
	}
	return &Action{Kind: "password", Username: username, Password: password}, nil
}

// promptChoice asks which of the page's ways to sign in to take.
func (f *Model) promptChoice(ctx context.Context, p Probe) (*Action, error) {
	c := f.cfg
	f.introduce(p)
	q := escape.Control(p.Heading)
	if q == "" {
		q = "the identity provider asks which way to go on"
	}
	i, err := c.Prompt.Choose(ctx, q, escapeAll(p.Options))
	if err != nil {
		return nil, f.promptError(ctx, err)
	}
	return &Action{Kind: "choice", Choice: i}, nil
}

// tellDevice tells the person to approve the sign-in on their device, once
// per state.
func (f *Model) tellDevice(p Probe) {
	c := f.cfg
	if p.FP == f.ask.device {
		return // told already
	}
	f.ask.device = p.FP
	f.introduce(p)
	msg := "approve the sign-in on your device"
	if p.Number != "" {
		msg += "; the number to match is " + escape.Control(p.Number)
	}
	c.Prompt.Notify(msg + " (waiting)")
	c.Prompt.Notify("the page says: " + escape.Control(Excerpt(f.mask(p.Text))))
}

// askUser asks for the user name once per login.
func (f *Model) askUser(ctx context.Context) (string, error) {
	if f.ask.username != "" {
		return f.ask.username, nil
	}
	u, err := f.cfg.Prompt.Ask(ctx, "User name: ")
	if err != nil {
		return "", f.promptError(ctx, err)
	}
	if u == "" {
		return "", failure.New(failure.Refused, "type the user name at the prompt, or pass --username", "no user name was typed")
	}
	f.ask.username = u
	return u, nil
}

// introduce names the identity provider's page before the first question
// asked on it.
func (f *Model) introduce(p Probe) {
	host := p.Href
	if u, err := url.Parse(p.Href); err == nil && u.Host != "" {
		host = u.Host
	}
	if host == f.ask.shown {
		return
	}
	f.ask.shown = host
	title := ""
	if p.Title != "" {
		title = " (" + escape.Control(p.Title) + ")"
	}
	f.cfg.Prompt.Notify("signing in at " + escape.Control(host) + title)
}

// retryAfter tells the person what the IdP said about their answer, and
// forgets the answers it may be about, so that they are asked again.
func (f *Model) retryAfter(e string) {
	f.ask.password = ""
	f.ask.username = ""
	f.cfg.Prompt.Notify("the identity provider says: " + escape.Control(f.mask(e)))
}

// mask hides what was typed or given (passwords, codes, secrets) in text
// from the page.
func (f *Model) mask(s string) string {
	c := f.cfg
	return redact.Secrets(s, append([]string{c.Password, c.Username, c.TOTPSecret}, f.ask.typed...)...)
}

// promptError is the error of a prompt that could not be answered: the
// wait's own end (timeout, Ctrl-C) when that stopped it.
func (f *Model) promptError(ctx context.Context, err error) error {
	if ctx.Err() != nil && f.cfg.Ended != nil {
		return f.cfg.Ended(ctx, err)
	}
	if failure.KindOf(err) != failure.Internal {
		return err
	}
	return failure.New(failure.Refused, "answer at the terminal, or pass --no-prompt and the credentials (--username, CLILOGIN_PASSWORD)",
		"cannot ask at the terminal: %w", err)
}

func escapeAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = escape.Control(s)
	}
	return out
}
