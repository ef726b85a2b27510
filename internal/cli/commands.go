package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/cache"
	"github.com/clilogin/clilogin/internal/chrome"
	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/escape"
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/redact"
)

func runToken(ctx context.Context, a *app) error {
	e, src, err := a.obtainToken(ctx)
	if err != nil {
		return err
	}
	switch a.o.Output {
	case "json":
		return writeJSON(a.stdio.Out, struct {
			Backend   string     `json:"backend"`
			Account   string     `json:"account"`
			Identity  string     `json:"identity,omitempty"`
			Token     string     `json:"token"`
			ExpiresAt *time.Time `json:"token_expires_at,omitempty"`
			Source    source     `json:"source"`
		}{escape.Control(e.Backend), escape.Control(a.o.Account), escape.Control(e.Identity), e.Token, timePtr(e.TokenExpiresAt), src})
	case "env":
		fmt.Fprintf(a.stdio.Out, "export CLILOGIN_TOKEN=%s\n", shellQuote(e.Token))
		return nil
	}
	fmt.Fprintln(a.stdio.Out, e.Token)
	return nil
}

func runWhoami(ctx context.Context, a *app) error {
	if a.o.TokenPath != "" && a.o.WhoamiPath == "" { // no token path: obtainToken says so
		return failure.New(failure.Usage, "set --whoami-path to the backend's identity endpoint", "whoami needs --whoami-path")
	}
	a.askWhoami = true // a token from the cache too: the backend says who it is
	e, src, err := a.obtainToken(ctx)
	if err != nil {
		return err
	}
	id := escape.Control(e.Identity) // from the backend: shown, never obeyed, by the terminal
	switch a.o.Output {
	case "json":
		return writeJSON(a.stdio.Out, loginJSON{Backend: escape.Control(e.Backend), Account: escape.Control(a.o.Account), Identity: id, ExpiresAt: timePtr(e.TokenExpiresAt), Source: src})
	case "env":
		fmt.Fprintf(a.stdio.Out, "export CLILOGIN_IDENTITY=%s\n", shellQuote(id))
		return nil
	}
	fmt.Fprintln(a.stdio.Out, id)
	return nil
}

func runCookies(ctx context.Context, a *app) error {
	e, _, err := a.obtain(ctx, a.o.Force)
	if err != nil {
		return err
	}
	live := cookies.ForHost(e.Cookies, a.o.Backend.Hostname(), a.now())
	if len(live) == 0 {
		return failure.New(failure.Refused, "check --backend: the login left no cookie for its host",
			"no cookies for %s", a.o.Backend.Host)
	}
	return cookies.WriteFormat(a.stdio.Out, a.o.Format, live, a.o.Backend.URL)
}

// exitCode ends a command with a code and no message: exec passes its
// command's code on.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit code %d", int(c)) }

// runExec runs the command with CLILOGIN_TOKEN set and passes its exit code
// on. The command gets clilogin's environment without any other CLILOGIN_*
// variable (the password, the TOTP secret and the user name are clilogin's),
// and its standard input untouched (with --password-stdin, less the first
// line). Signals clilogin gets are forwarded to it; a Ctrl-C at a terminal
// already reaches it directly, so SIGINT is forwarded only without one.
func runExec(ctx context.Context, a *app) error {
	e, _, err := a.obtainToken(ctx)
	if err != nil {
		return err
	}
	cmd := exec.Command(a.o.Args[0], a.o.Args[1:]...)
	cmd.Env = append(redact.Environ(os.Environ()), "CLILOGIN_TOKEN="+e.Token)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.stdio.In, a.stdio.Out, a.stdio.Err
	sigs := make(chan os.Signal, 4)
	forward := forwardedSignals() // signals_*.go
	if !a.stdio.InIsTerminal {
		forward = append(forward, os.Interrupt)
	}
	signal.Notify(sigs, forward...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			fmt.Fprintf(a.stdio.Err, "clilogin: error: exec: %s: command not found\n", escape.Control(a.o.Args[0]))
			return exitCode(127)
		}
		return failure.New(failure.Usage, "", "exec: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-sigs:
			_ = cmd.Process.Signal(s)
		case err := <-done:
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					return exitCode(128 + int(ws.Signal()))
				}
				return exitCode(ee.ExitCode())
			}
			if err != nil {
				return fmt.Errorf("exec: %w", err)
			}
			return nil
		}
	}
}

// runStatus lists the cached logins without any secret.
func runStatus(a *app) error {
	listed, err := a.store.List()
	if err != nil {
		return err
	}
	type row struct {
		Backend        string     `json:"backend"`
		Account        string     `json:"account"`
		Identity       string     `json:"identity,omitempty"`
		TokenExpiresAt *time.Time `json:"token_expires_at,omitempty"`
		Token          bool       `json:"token"`
		Cookies        int        `json:"cookies"`
		// IdPSession says whether the IdP's session is kept (never its
		// cookies), and when its first cookie expires, if any does.
		IdPSession          bool       `json:"idp_session"`
		IdPSessionExpiresAt *time.Time `json:"idp_session_expires_at,omitempty"`
		Profile             string     `json:"profile,omitempty"`
		ProfileExists       bool       `json:"profile_exists"`
		Error               string     `json:"error,omitempty"`
	}
	rows := []row{}
	for _, l := range listed {
		if l.Err != nil {
			rows = append(rows, row{Backend: escape.Control(l.Name), Error: escape.Control("unreadable: " + l.Err.Error())})
			continue
		}
		e := l.Entry
		if a.o.Backend != nil && !a.o.Backend.Same(e.Backend) {
			continue
		}
		if b, err := backend.Parse(e.Backend, true); err != nil || b.AccountCacheName(accountOf(e)) != l.Name {
			// A file of an older clilogin (named without a hash), or one
			// copied or renamed: clilogin never reads it as this backend's.
			rows = append(rows, row{Backend: escape.Control(e.Backend), Account: escape.Control(accountOf(e)), Identity: escape.Control(e.Identity), Token: e.Token != "",
				Error: escape.Control("not used (from an older clilogin, or renamed); clilogin logout forgets it, or delete " + filepath.Join(a.store.Dir, l.Name+".json"))})
			continue
		}
		// A cache file's text is shown escaped: another program may have
		// written it.
		r := row{Backend: escape.Control(e.Backend), Account: escape.Control(accountOf(e)), Identity: escape.Control(e.Identity), TokenExpiresAt: timePtr(e.TokenExpiresAt),
			Token: e.Token != "", Cookies: len(e.LiveCookies(a.now())), Profile: escape.Control(e.Profile)}
		for _, c := range e.IdPSession {
			if c.Expired(a.now()) {
				continue
			}
			r.IdPSession = true
			if !c.Expires.IsZero() && (r.IdPSessionExpiresAt == nil || c.Expires.Before(*r.IdPSessionExpiresAt)) {
				r.IdPSessionExpiresAt = timePtr(c.Expires)
			}
		}
		if st, err := os.Stat(e.Profile); err == nil && st.IsDir() {
			r.ProfileExists = true
		}
		rows = append(rows, r)
	}
	if a.o.Output == "json" {
		return writeJSON(a.stdio.Out, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(a.stdio.Err, "clilogin: no cached logins")
		return nil
	}
	w := tabwriter.NewWriter(a.stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "BACKEND\tACCOUNT\tIDENTITY\tTOKEN\tCOOKIES\tIDP SESSION\tPROFILE")
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(w, "%s\t%s\t-\t%s\t-\t-\t-\n", r.Backend, orDash(r.Account), r.Error)
			continue
		}
		session := "none"
		switch {
		case r.IdPSessionExpiresAt != nil:
			session = "kept, " + tokenState(true, r.IdPSessionExpiresAt)
		case r.IdPSession:
			session = "kept"
		}
		profile := "none"
		if r.ProfileExists {
			profile = r.Profile
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Backend, r.Account, orDash(r.Identity), tokenState(r.Token, r.TokenExpiresAt), r.Cookies, session, profile)
	}
	return w.Flush()
}

func tokenState(has bool, exp *time.Time) string {
	switch {
	case !has:
		return "none"
	case exp == nil:
		return "expiry unknown"
	}
	d := time.Until(*exp).Round(time.Second)
	if d <= 0 {
		return "expired " + (-d).String() + " ago"
	}
	return "expires in " + d.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// runLogout forgets the cached login of the backend's account (or, with
// --all, of each of its accounts) and, with --profile, its browser profile
// (the IdP's session).
func runLogout(a *app) error {
	if !a.o.AllAccounts {
		return a.logoutAccount(a.load())
	}
	entries := a.backendEntries()
	if len(entries) == 0 {
		fmt.Fprintf(a.stdio.Err, "clilogin: no cached login for %s\n", a.o.Backend)
	}
	for _, l := range entries {
		a.o.Account, a.name, a.o.profileByAccount = accountOf(l.Entry), l.Name, false
		if err := a.logoutAccount(l.Entry); err != nil {
			return err
		}
	}
	return nil
}

// logoutAccount forgets the cache entry e of a.o.Account and, with
// --profile, its browser profile.
func (a *app) logoutAccount(e cache.Entry) error {
	if err := a.store.Delete(a.name); err != nil {
		return failure.New(failure.Internal, "delete it by hand", "cannot delete the cached login: %w", err)
	}
	// The entry of a clilogin before hashed names, if it is this backend's.
	if old := a.o.Backend.LegacyCacheName(); a.o.Account == backend.DefaultAccount && old != a.name {
		if le, err := a.store.Load(old); err == nil && a.o.Backend.Same(le.Backend) {
			if err := a.store.Delete(old); err != nil {
				a.warnf("cannot delete the cached login of an older clilogin: %v", err)
			}
		}
	}
	fmt.Fprintf(a.stdio.Err, "clilogin: forgot the cached login for %s (account %q)\n", a.o.Backend, a.o.Account)
	if !a.o.DeleteProfile {
		return nil
	}
	dir := a.o.Profile
	if dir == "" { // a bare --profile: the account's own profile
		dir = e.Profile
	}
	if dir == "" {
		if err := a.o.defaultProfile(a.env); err != nil {
			return err
		}
		dir, a.o.Profile = a.o.Profile, ""
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) && a.o.AllAccounts {
		return nil
	}
	if err := chrome.RemoveProfile(dir); err != nil {
		return err
	}
	fmt.Fprintf(a.stdio.Err, "clilogin: deleted the browser profile %s\n", escape.Control(dir))
	return nil
}
