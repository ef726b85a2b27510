package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/clilogin/clilogin/internal/api"
	"github.com/clilogin/clilogin/internal/cache"
	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/token"
	"github.com/clilogin/clilogin/internal/verify"
)

// app is one command's run: its options, streams, log and cache.
type app struct {
	o      Options
	env    Env
	stdio  IO
	log    *logger
	store  cache.Store
	name   string // the backend's cache entry
	client *api.Client
	steps  *timeline
	warned bool // a cache warning was shown
	// deadline ends the whole command's work: waiting for another login,
	// the browser login and the backend's answers share one --timeout.
	deadline time.Time
}

func newApp(o Options, env Env, stdio IO) (*app, error) {
	now := time.Now()
	a := &app{o: o, env: env, stdio: stdio, log: &logger{w: stdio.Err, on: o.Verbose, start: now}, deadline: now.Add(o.Timeout)}
	dir, err := userDir(env, "cache")
	if err != nil {
		return nil, failure.New(failure.Usage, "set $HOME or $XDG_CACHE_HOME", "no user cache directory: %w", err)
	}
	a.store = cache.Store{Dir: filepath.Join(dir, "clilogin")}
	if o.Backend != nil {
		a.name = entryName(o.Backend.Scheme, o.Backend.Host, o.Backend.Path)
		a.client = api.New(o.Backend, o.Timeout)
		a.client.TokenField, a.client.WhoamiField = o.TokenField, o.WhoamiField
	}
	return a, nil
}

// entryName names a backend's cache entry: scheme, host, port and base path.
func entryName(scheme, host, path string) string {
	name := scheme + "_" + strings.Trim(strings.ToLower(host), "[]") + strings.TrimSuffix(path, "/")
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			return r
		}
		return '_'
	}, name)
}

func (a *app) warnf(format string, args ...any) {
	fmt.Fprintf(a.stdio.Err, "clilogin: warning: "+format+"\n", args...)
}

// load reads the backend's cache entry; an unreadable one is reported once
// and treated as empty.
func (a *app) load() cache.Entry {
	e, err := a.store.Load(a.name)
	switch {
	case err == nil:
		return e
	case errors.Is(err, cache.ErrNotFound):
	case !a.warned:
		a.warned = true
		a.warnf("ignoring the cached login: %v", err)
	}
	return cache.Entry{}
}

// save writes the entry; a cache that cannot be written costs a warning,
// not the login.
func (a *app) save(e cache.Entry) {
	e.Backend, e.Profile, e.SavedAt = a.o.Backend.String(), a.o.Profile, time.Now().UTC()
	if err := a.store.Save(a.name, e); err != nil {
		a.warnf("the login was not cached (%v); the next command signs in again", err)
		return
	}
	a.log.logf("cached the login in %s", a.store.Dir)
}

// fresh reports whether the entry serves the command without any request:
// a token valid for --min-ttl, or, for a backend without a token path,
// cookies that have not expired.
func (a *app) fresh(e cache.Entry) bool {
	if a.o.TokenPath == "" {
		return len(e.LiveCookies(time.Now())) > 0
	}
	return e.TokenValidFor(time.Now(), a.o.MinTTL)
}

// obtain returns a cache entry with a valid token (and the backend's
// cookies), the cheapest way: the cache; else the token path with the
// cached cookies, no browser; else a browser login. Concurrent processes
// for one backend wait for each other's login instead of starting their own.
func (a *app) obtain(ctx context.Context) (cache.Entry, error) {
	if !a.o.Force {
		if e := a.load(); a.fresh(e) {
			a.log.logf("token from the cache, valid until %s", e.TokenExpiresAt.Format(time.RFC3339))
			return e, nil
		}
	}
	lctx, cancel := context.WithDeadline(ctx, a.deadline)
	defer cancel()
	unlock, err := a.store.Lock(lctx, a.name)
	switch {
	case err == nil:
		defer unlock()
	case ctx.Err() != nil:
		return cache.Entry{}, failure.Wrap(failure.Interrupted, "", ctx.Err())
	case lctx.Err() != nil:
		return cache.Entry{}, failure.New(failure.Timeout, "another clilogin is signing in to this backend; wait for it or raise --timeout",
			"timed out waiting for another clilogin's login to %s", a.o.Backend)
	default:
		a.warnf("running without the cache lock: %v", err)
	}
	if !a.o.Force {
		e := a.load() // another process may have signed in while this one waited
		if a.fresh(e) {
			a.log.logf("token from the cache (another clilogin signed in)")
			return e, nil
		}
		if live := e.LiveCookies(time.Now()); len(live) > 0 && a.o.TokenPath != "" {
			if err := a.refresh(ctx, &e, live); err == nil {
				return e, nil
			} else if failure.KindOf(err) == failure.Interrupted {
				return cache.Entry{}, err
			} else {
				a.log.logf("the cached cookies no longer work (%v); signing in with the browser", err)
			}
		}
	}
	e, err := a.login(ctx)
	if err != nil {
		return cache.Entry{}, err
	}
	a.save(e)
	return e, nil
}

// obtainToken is obtain for the commands that need a token.
func (a *app) obtainToken(ctx context.Context) (cache.Entry, error) {
	if a.o.TokenPath == "" {
		return cache.Entry{}, failure.New(failure.Usage, "set --token-path to the backend's token endpoint",
			"%s needs a token, and --token-path is empty", a.o.Command)
	}
	return a.obtain(ctx)
}

// refresh gets a new token from the token path with the cached cookies.
func (a *app) refresh(ctx context.Context, e *cache.Entry, live []cookies.Cookie) error {
	tctx, cancel := context.WithDeadline(ctx, a.deadline)
	defer cancel()
	tok, err := a.client.Token(tctx, a.o.TokenPath, live)
	if err != nil {
		return err
	}
	if err := a.verify(tctx, tok); err != nil {
		return err
	}
	renewed := *e
	renewed.Token, renewed.TokenExpiresAt = tok, expiry(tok)
	if !renewed.TokenValidFor(time.Now(), a.o.MinTTL) && !renewed.TokenExpiresAt.IsZero() {
		return fmt.Errorf("the backend's token expires at %s, sooner than --min-ttl %s", renewed.TokenExpiresAt.Format(time.RFC3339), a.o.MinTTL)
	}
	*e = renewed
	a.log.logf("new token from %s with the cached cookies (no browser)", a.o.TokenPath)
	a.save(*e)
	return nil
}

// verify checks the token's signature when --verify-issuer is set.
func (a *app) verify(ctx context.Context, tok string) error {
	if a.o.VerifyIssuer == "" {
		return nil
	}
	if err := verify.Token(ctx, a.o.VerifyIssuer, tok); err != nil {
		return err
	}
	a.log.logf("the token's signature verifies against %s", a.o.VerifyIssuer)
	return nil
}

// expiry is the token's exp, or zero when it has none.
func expiry(tok string) time.Time {
	if exp, ok, err := token.Expiry(tok); err == nil && ok {
		return exp
	}
	return time.Time{}
}
