package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/clilogin/clilogin/internal/api"
	"github.com/clilogin/clilogin/internal/browser"
	"github.com/clilogin/clilogin/internal/cache"
	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/escape"
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/passkey"
	"github.com/clilogin/clilogin/internal/replay"
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
	// password is the first line of standard input with --password-stdin,
	// read before anything else (see runCommand).
	password string
	// deadline ends the whole command's work: waiting for another login,
	// the browser login and the backend's answers share one --timeout.
	deadline time.Time
	// now is the clock the decisions read; tests set it.
	now func() time.Time
	// browserLogin runs the browser side of a login: browser.Login, or a
	// fake in tests.
	browserLogin func(ctx context.Context, c browser.Config) (*browser.Result, error)
	// replayLogin replays the IdP's session over HTTP: replay.Run, or a
	// fake in tests.
	replayLogin func(ctx context.Context, c replay.Config) (replay.Result, error)
	// enroll has the browser login register a passkey (passkey enroll),
	// which enrolled then holds.
	enroll   bool
	enrolled *passkey.Credential
}

func newApp(c command, o Options, env Env, stdio IO) (*app, error) {
	now := time.Now()
	a := &app{o: o, env: env, stdio: stdio, log: &logger{w: stdio.Err, on: o.Verbose, start: now}, deadline: now.Add(o.Timeout),
		now: time.Now, browserLogin: browser.Login, replayLogin: replay.Run, steps: &timeline{}}
	if !c.has(cacheDirFlags) {
		return a, nil
	}
	dir, err := userDir(env, "cache")
	if err != nil {
		return nil, failure.New(failure.Usage, "set $HOME or $XDG_CACHE_HOME", "no user cache directory: %w", err)
	}
	a.store = cache.Store{Dir: filepath.Join(dir, "clilogin")}
	if o.Backend != nil {
		a.name = o.Backend.CacheName()
		a.client = api.New(o.Backend, o.Timeout)
		a.client.TokenField, a.client.WhoamiField = o.TokenField, o.WhoamiField
	}
	return a, nil
}

func (a *app) warnf(format string, args ...any) {
	fmt.Fprintf(a.stdio.Err, "clilogin: warning: %s\n", escape.Control(fmt.Sprintf(format, args...)))
}

// load reads the backend's cache entry; an unreadable one, or one that
// records another backend (a file copied or renamed), is reported once and
// treated as empty. A cached token that is not a token is dropped.
func (a *app) load() cache.Entry {
	e, err := a.store.Load(a.name)
	switch {
	case err == nil && !a.o.Backend.Same(e.Backend):
		err = fmt.Errorf("%s records the backend %q, not %s", a.name, e.Backend, a.o.Backend)
	case err == nil && !printableToken(e.Token):
		a.log.logf("the cached token has characters a token cannot have; not using it")
		e.Token, e.TokenExpiresAt = "", time.Time{}
		return e
	case err == nil:
		return e
	case errors.Is(err, cache.ErrNotFound):
		return cache.Entry{}
	}
	if !a.warned {
		a.warned = true
		a.warnf("ignoring the cached login: %v", err)
	}
	return cache.Entry{}
}

// save writes the entry; a cache that cannot be written costs a warning,
// not the login.
func (a *app) save(e cache.Entry) {
	e.Backend, e.Profile, e.SavedAt = a.o.Backend.String(), a.o.Profile, a.now().UTC()
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
		return len(e.LiveCookies(a.now())) > 0
	}
	return e.TokenValidFor(a.now(), a.o.MinTTL)
}

// source says how a command got its session.
type source string

const (
	fromCache   source = "cache"   // the cached token, no request
	fromCookies source = "cookies" // the token path with the cached cookies, no browser
	fromReplay  source = "replay"  // the IdP's stored session replayed over HTTP, no browser
	fromBrowser source = "browser" // a browser login
)

// obtain returns a cache entry with a valid token (and the backend's
// cookies), the cheapest way: the cache; else the token path with the
// cached cookies, no browser; else the IdP's stored session replayed over
// HTTP, no browser; else a browser login. With fresh set (login, --force)
// it ignores the cached token and cookies. Concurrent
// processes for one backend take the entry's lock, so they wait for each
// other's login instead of starting their own.
func (a *app) obtain(ctx context.Context, fresh bool) (cache.Entry, source, error) {
	if !fresh {
		if e := a.load(); a.fresh(e) {
			a.log.logf("token from the cache, valid until %s", e.TokenExpiresAt.Format(time.RFC3339))
			return e, fromCache, nil
		}
	}
	lctx, cancel := context.WithDeadline(ctx, a.deadline)
	defer cancel()
	unlock, err := a.store.Lock(lctx, a.name)
	switch {
	case err == nil:
		defer unlock()
	case ctx.Err() != nil:
		return cache.Entry{}, "", failure.Wrap(failure.Interrupted, "", ctx.Err())
	case lctx.Err() != nil:
		return cache.Entry{}, "", failure.New(failure.Timeout, "another clilogin is signing in to this backend; wait for it or raise --timeout",
			"timed out waiting for another clilogin's login to %s", a.o.Backend)
	default:
		a.warnf("running without the cache lock: %v", err)
	}
	e := a.load() // another process may have signed in while this one waited
	if !fresh {
		if a.fresh(e) {
			a.log.logf("token from the cache (another clilogin signed in)")
			return e, fromCache, nil
		}
		if live := e.LiveCookies(a.now()); len(live) > 0 && a.o.TokenPath != "" {
			e.Cookies = live
			renewed, err := a.tokenStep(ctx, e)
			if err == nil {
				a.log.logf("new token from %s with the cached cookies (no browser)", a.o.TokenPath)
				a.save(renewed)
				return renewed, fromCookies, nil
			}
			if k := failure.KindOf(err); k == failure.Interrupted || k == failure.Timeout && a.now().After(a.deadline) {
				return cache.Entry{}, "", err
			}
			a.log.logf("the cached cookies no longer work (%v); signing in with the browser", err)
		}
	}
	session := e.IdPSession
	if len(session) > 0 && !a.o.NoReplay {
		got, err := a.replay(ctx, session)
		switch {
		case err == nil:
			a.save(got)
			return got, fromReplay, nil
		case !errors.Is(err, replay.ErrFallback):
			return cache.Entry{}, "", err
		}
		a.log.logf("signing in with the browser: %v", err)
	}
	res, err := a.signIn(ctx, session)
	if err != nil {
		return cache.Entry{}, "", err
	}
	defer res.Wait() // before the lock is released: the browser holds the profile until it has closed
	if len(res.Session) > 0 {
		session = res.Session
	}
	got, err := a.tokenStep(ctx, cache.Entry{Backend: a.o.Backend.String(), Cookies: res.Cookies, IdPSession: session})
	if err != nil {
		return cache.Entry{}, "", err
	}
	a.save(got)
	return got, fromBrowser, nil
}

// replay signs in again over plain HTTP with the IdP's stored session. An
// error wrapping replay.ErrFallback means the browser is needed.
func (a *app) replay(ctx context.Context, session []cookies.Cookie) (cache.Entry, error) {
	rctx, cancel := context.WithDeadline(ctx, a.deadline)
	defer cancel()
	a.steps.step("replay")
	res, err := a.replayLogin(rctx, replay.Config{
		Backend:      a.o.Backend,
		LoginPath:    a.o.LoginPath,
		CallbackPath: a.o.CallbackPath,
		Marker:       a.o.Success,
		Session:      session,
		Now:          a.now,
		Logf:         a.log.logf,
	})
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return cache.Entry{}, failure.Wrap(failure.Interrupted, "", ctx.Err())
	case rctx.Err() != nil: // the deadline: no time is left for a browser either
		return cache.Entry{}, failure.New(failure.Timeout, "the identity provider or the backend is slow; try again or raise --timeout",
			"timed out signing in again over HTTP with the identity provider's session")
	default:
		return cache.Entry{}, err
	}
	a.log.logf("signed in again over HTTP with the identity provider's session (%d hops, no browser)", len(res.Hops))
	if len(res.Session) == 0 {
		res.Session = session
	}
	return a.tokenStep(ctx, cache.Entry{Backend: a.o.Backend.String(), Cookies: res.Backend, IdPSession: res.Session})
}

// obtainToken is obtain for the commands that need a token.
func (a *app) obtainToken(ctx context.Context) (cache.Entry, source, error) {
	if a.o.TokenPath == "" {
		return cache.Entry{}, "", failure.New(failure.Usage, "set --token-path to the backend's token endpoint",
			"%s needs a token, and --token-path is empty", a.o.Command)
	}
	return a.obtain(ctx, a.o.Force)
}

// tokenStep turns the backend's cookies in e into a login, the same way
// whichever way they were got: the token from the token path, its
// signature (--verify-issuer), its expiry against --min-ttl, then the
// identity from the whoami path (--expect-identity). Without a token path
// the cookies are the login.
func (a *app) tokenStep(ctx context.Context, e cache.Entry) (cache.Entry, error) {
	if a.o.TokenPath == "" {
		return e, nil
	}
	tctx, cancel := context.WithDeadline(ctx, a.deadline)
	defer cancel()
	a.steps.step("token")
	tok, err := a.client.Token(tctx, a.o.TokenPath, e.Cookies)
	if err != nil {
		return cache.Entry{}, err
	}
	a.log.logf("got a token from %s", a.o.TokenPath)
	if err := a.verify(tctx, tok); err != nil {
		return cache.Entry{}, err
	}
	e.Token, e.TokenExpiresAt = tok, expiry(tok)
	if exp := e.TokenExpiresAt; !exp.IsZero() && !exp.After(a.now()) {
		// The backend must hand out a valid token for a live session: an
		// expired one is an answer the contract does not allow (exit 5).
		return cache.Entry{}, failure.New(failure.Unreachable,
			"the backend hands out a stale token; check its session and token lifetime, and this machine's clock",
			"the backend's token path %s answered a token that expired at %s (%s ago); refused",
			a.o.TokenPath, exp.Format(time.RFC3339), a.now().Sub(exp).Round(time.Second))
	}
	if exp := e.TokenExpiresAt; !exp.IsZero() && !e.TokenValidFor(a.now(), a.o.MinTTL) {
		return cache.Entry{}, failure.New(failure.Refused, "lower --min-ttl, or ask the backend's owners for longer-lived tokens",
			"the backend's token expires at %s, sooner than --min-ttl %s", exp.Format(time.RFC3339), a.o.MinTTL)
	}
	if a.o.WhoamiPath != "" {
		a.steps.step("whoami")
		if e.Identity, err = a.whoami(tctx, tok); err != nil {
			return cache.Entry{}, err
		}
	}
	return e, nil
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

// printableToken reports whether a cached token is printable ASCII without
// spaces, as the token path's answer must be (api.Answer.Token): a token
// goes into an HTTP header and onto a terminal, where a control character
// would be obeyed, and a cache file may have been written by another
// program.
func printableToken(tok string) bool {
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// expiry is the token's exp, or zero when it has none.
func expiry(tok string) time.Time {
	if exp, ok, err := token.Expiry(tok); err == nil && ok {
		return exp
	}
	return time.Time{}
}
