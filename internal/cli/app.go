package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clilogin/clilogin/internal/api"
	"github.com/clilogin/clilogin/internal/backend"
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
	o     Options
	env   Env
	stdio IO
	log   *logger
	store cache.Store
	// name is the cache entry of the account the command acts on,
	// o.Account once chooseAccount has chosen it.
	name   string
	client *api.Client
	steps  *timeline
	warned bool // a cache warning was shown
	// password is the first line of standard input with --password-stdin,
	// read before anything else (see runCommand).
	password string
	// deadline ends the whole command's work: waiting for another login,
	// the browser login and the backend's answers share one --timeout.
	deadline time.Time
	// askWhoami makes a token served from the cache be checked with the
	// whoami path too (the whoami command).
	askWhoami bool
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
		a.client = api.New(o.Backend, o.Timeout)
		a.client.TokenField, a.client.WhoamiField = o.TokenField, o.WhoamiField
		if c.has(accountFlags) && !o.AllAccounts {
			if err := a.chooseAccount(); err != nil {
				return nil, err
			}
		}
	}
	return a, nil
}

// chooseAccount picks the account the command acts on: the one --account
// or --username names; else the backend's only cached account; else,
// with none cached, the default account. With several cached and none
// named it fails (exit 2) and lists them: a silent pick could be the
// wrong identity.
func (a *app) chooseAccount() error {
	a.o.Account = a.o.namedAccount()
	if a.o.Account == "" {
		accounts := a.cachedAccounts()
		switch len(accounts) {
		case 0:
			a.o.Account = backend.DefaultAccount
		case 1:
			a.o.Account = accounts[0]
			a.log.logf("using the backend's only cached account, %q", a.o.Account)
		default:
			quoted := make([]string, len(accounts))
			for i, acct := range accounts {
				quoted[i] = strconv.Quote(acct)
			}
			return failure.New(failure.Usage, "name one with --account NAME (or CLILOGIN_ACCOUNT); clilogin status lists them",
				"%s has %d cached accounts, %s, and the command names none", a.o.Backend, len(accounts), strings.Join(quoted, ", "))
		}
	}
	a.name = a.o.Backend.AccountCacheName(a.o.Account)
	if a.o.profileByAccount && a.o.Account != backend.DefaultAccount {
		a.o.Profile = ""
		if err := a.o.defaultProfile(a.env); err != nil {
			return err
		}
	}
	return nil
}

// adoptEntryBeforeAccounts makes the backend's entry of a clilogin before
// accounts (no account recorded, kept under CacheName) this account's when
// it was signed in as the user the account names: its recorded identity is
// the account. The entry moves to the account's name and serves as before:
// its token, cookies and IdP session (replayed, or put back into the
// account's profile) need no new login. Any other old entry stays the
// default account's. load calls it when the account, not the default one,
// has no entry of its own; it reports whether the entry moved.
func (a *app) adoptEntryBeforeAccounts() bool {
	old := a.o.Backend.CacheName()
	e, err := a.store.Load(old)
	if err != nil || e.Account != "" || !a.o.Backend.Same(e.Backend) || e.Identity == "" || e.Identity != a.o.Account {
		return false
	}
	if a.o.Username == e.Identity {
		e.Username = a.o.Username
	}
	a.save(e)
	if _, err := a.store.Load(a.name); err != nil {
		return false // not saved: the old entry stays where it is
	}
	if err := a.store.Delete(old); err != nil {
		a.warnf("cannot delete the cached login of clilogin before accounts: %v", err)
	}
	a.log.logf("the cached login of clilogin before accounts, signed in as %q, is now account %q", e.Identity, a.o.Account)
	return true
}

// cachedAccounts are the accounts of the backend that have a cache entry
// of their own, sorted.
func (a *app) cachedAccounts() []string {
	return accountNames(a.backendEntries())
}

// accountNames are the accounts of entries, sorted, each once.
func accountNames(entries []cache.Listed) []string {
	var out []string
	for _, l := range entries {
		out = append(out, accountOf(l.Entry))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// backendEntries are the readable cache entries of the backend's
// accounts.
func (a *app) backendEntries() []cache.Listed {
	entries, err := accountEntries(a.store, a.o.Backend)
	if err != nil {
		a.log.logf("cannot list the cache: %v", err)
	}
	return entries
}

// accountEntries are the readable entries of store that are an account's
// of backend b (of any backend when b is nil), each in the file its
// backend and account name: a file copied or renamed is no account's.
func accountEntries(store cache.Store, b *backend.Backend) ([]cache.Listed, error) {
	prefix := "" // every backend's
	if b != nil {
		prefix = b.CachePrefix()
	}
	listed, err := store.ListPrefix(prefix)
	if err != nil {
		return nil, err
	}
	var out []cache.Listed
	for _, l := range listed {
		if l.Err != nil || b != nil && !b.Same(l.Entry.Backend) {
			continue
		}
		own, err := backend.Parse(l.Entry.Backend, true)
		if err == nil && own.AccountCacheName(accountOf(l.Entry)) == l.Name {
			out = append(out, l)
		}
	}
	return out, nil
}

// accountOf is the account an entry is kept for: an entry of a clilogin
// before accounts is the default account's.
func accountOf(e cache.Entry) string {
	if e.Account == "" {
		return backend.DefaultAccount
	}
	return e.Account
}

func (a *app) warnf(format string, args ...any) {
	fmt.Fprintf(a.stdio.Err, "clilogin: warning: %s\n", escape.Control(fmt.Sprintf(format, args...)))
}

// load reads the backend's cache entry; an unreadable one, or one that
// records another backend (a file copied or renamed), is reported once and
// treated as empty. A cached token that is not a token is dropped. An
// account without an entry may take over the one of a clilogin before
// accounts (adoptEntryBeforeAccounts): done here, not on every start, so
// that a cache hit reads one file.
func (a *app) load() cache.Entry {
	e, err := a.store.Load(a.name)
	if errors.Is(err, cache.ErrNotFound) && a.o.Account != backend.DefaultAccount && a.adoptEntryBeforeAccounts() {
		e, err = a.store.Load(a.name)
	}
	switch {
	case err == nil && !a.o.Backend.Same(e.Backend):
		err = fmt.Errorf("%s records the backend %q, not %s", a.name, e.Backend, a.o.Backend)
	case err == nil && accountOf(e) != a.o.Account:
		err = fmt.Errorf("%s records the account %q, not %q", a.name, accountOf(e), a.o.Account)
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
	e.Backend, e.Account, e.SavedAt = a.o.Backend.String(), a.o.Account, a.now().UTC()
	if a.o.Profile != "" {
		e.Profile = a.o.Profile
	} // else logout adopting an old entry: its IdP session is still in the profile it records
	if err := a.store.Save(a.name, e); err != nil {
		a.warnf("the login was not cached (%v); the next command signs in again", err)
		return
	}
	a.log.logf("cached the login in %s", a.store.Dir)
}

// cacheServes reports whether the entry serves the command without a
// login: a token valid for --min-ttl, or, for a backend without a token
// path, cookies that have not expired.
func (a *app) cacheServes(e cache.Entry) bool {
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
// HTTP, no browser; else a browser login. With skipCache set (login,
// --force) it ignores the cached token and cookies. Concurrent processes
// for one account of a backend take the entry's lock, so they wait for
// each other's login instead of starting their own; other accounts' logins
// run at the same time.
//
// A login is the identity asked for: an entry whose IdP session was signed
// in as another user than --username (or by a person, unknown) serves
// nothing, its session is not replayed, and the browser login starts with
// the profile's cookies cleared, so that the IdP asks who signs in.
func (a *app) obtain(ctx context.Context, skipCache bool) (cache.Entry, source, error) {
	if !skipCache {
		if e, other := a.loadAsked(); !other && a.cacheServes(e) {
			a.log.logf("token from the cache, valid until %s", e.TokenExpiresAt.Format(time.RFC3339))
			return a.cached(ctx, e)
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
		return cache.Entry{}, "", failure.New(failure.Timeout, "another clilogin is signing in to this account of the backend; wait for it or raise --timeout",
			"timed out waiting for another clilogin's login to %s (account %q)", a.o.Backend, a.o.Account)
	default:
		a.warnf("running without the cache lock: %v", err)
	}
	e, otherUser := a.loadAsked() // another process may have signed in while this one waited
	if !skipCache && !otherUser {
		if a.cacheServes(e) {
			a.log.logf("token from the cache (another clilogin signed in)")
			return a.cached(ctx, e)
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
		got, err := a.replay(ctx, e.Username, session)
		switch {
		case err == nil:
			a.save(got)
			return got, fromReplay, nil
		case !errors.Is(err, replay.ErrFallback):
			return cache.Entry{}, "", err
		}
		a.log.logf("signing in with the browser: %v", err)
	}
	// A profile given with --profile (or CLILOGIN_PROFILE) may be shared:
	// whoever signed in there last, another account or another backend's,
	// may still have the IdP's session in it, whatever this entry records.
	// It is cleared, and the account's own IdP session, signed in as
	// --username, is put back. A remote browser uses no profile: its login
	// runs in a new browser context.
	clear := otherUser
	if !clear && a.o.Username != "" && a.o.RemoteBrowser == "" && !a.ownProfile() {
		a.log.logf("the browser profile %s is not the account's own: clearing its cookies, so that only this account's own identity provider session can sign in without the form", a.o.Profile)
		clear = true
	}
	ownSession := len(session) > 0 // put back after the clearing
	res, err := a.signIn(ctx, session, clear)
	if err != nil {
		return cache.Entry{}, "", err
	}
	defer res.Wait() // before the lock is released: the browser holds the profile until it has closed
	if len(res.IdPSession) > 0 {
		session = res.IdPSession
	}
	got, err := a.tokenStep(ctx, cache.Entry{Backend: a.o.Backend.String(), Username: a.o.Username, Cookies: res.Cookies, IdPSession: session})
	if err != nil {
		return cache.Entry{}, "", err
	}
	if clear && !ownSession && !res.FilledSignIn {
		// The cookies were cleared and no session of this account put
		// back, yet the IdP signed someone in without its form: whoever
		// that is, it is not known to be the user asked.
		who := "someone"
		if got.Identity != "" {
			who = strconv.Quote(got.Identity)
		}
		return cache.Entry{}, "", failure.New(failure.Refused,
			"sign out at the identity provider in a window (clilogin login --account NAME without --headless), or check --username",
			"asked to sign in as %q, but the identity provider signed in %s without showing its sign-in form", a.o.Username, who)
	}
	a.save(got)
	return got, fromBrowser, nil
}

// ownProfile reports whether the browser profile is the account's own,
// the one no other account signs in to. The default account's is not: it
// is named for the host and port alone, as before accounts, and the
// backends under one host share it.
func (a *app) ownProfile() bool {
	if a.o.Account == backend.DefaultAccount {
		return false
	}
	own, err := accountProfile(a.env, a.o.Backend, a.o.Account)
	return err == nil && filepath.Clean(a.o.Profile) == own
}

// loadAsked is load, less a login --username does not ask for. otherUser
// reports that --username is given and the entry's IdP session (and so the
// profile's) was signed in as another user, or by a person, or there is
// none: the entry serves nothing and the IdP must be asked anew.
func (a *app) loadAsked() (e cache.Entry, otherUser bool) {
	e = a.load()
	if a.o.Username == "" || e.Username == a.o.Username {
		return e, false
	}
	if e.Backend != "" {
		was := "by a person at the window"
		if e.Username != "" {
			was = "as " + strconv.Quote(e.Username)
		}
		a.log.logf("the cached login of account %q was signed in %s, not as --username %q: not using it, and clearing the browser's cookies",
			a.o.Account, was, a.o.Username)
	}
	return cache.Entry{}, true
}

// cached serves a cache entry. With --expect-identity, and for whoami, the
// whoami path is asked who the cached token is first: the identity holds
// on every path, this one included.
func (a *app) cached(ctx context.Context, e cache.Entry) (cache.Entry, source, error) {
	if e.Token == "" || a.o.WhoamiPath == "" || a.o.ExpectIdentity == "" && !a.askWhoami {
		return e, fromCache, nil
	}
	wctx, cancel := context.WithDeadline(ctx, a.deadline)
	defer cancel()
	id, err := a.whoami(wctx, e.Token)
	if err != nil {
		return cache.Entry{}, "", err
	}
	if id != e.Identity {
		e.Identity = id
		a.save(e)
	}
	return e, fromCache, nil
}

// replay signs in again over plain HTTP with the IdP's stored session. An
// error wrapping replay.ErrFallback means the browser is needed.
// username is the user the session was signed in as, kept in the entry.
func (a *app) replay(ctx context.Context, username string, session []cookies.Cookie) (cache.Entry, error) {
	rctx, cancel := context.WithDeadline(ctx, a.deadline)
	defer cancel()
	a.steps.step("replay")
	res, err := a.replayLogin(rctx, replay.Config{
		Backend:      a.o.Backend,
		LoginPath:    a.o.LoginPath,
		CallbackPath: a.o.CallbackPath,
		Marker:       a.o.Success,
		IdPSession:   session,
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
	if len(res.IdPSession) == 0 {
		res.IdPSession = session
	}
	return a.tokenStep(ctx, cache.Entry{Backend: a.o.Backend.String(), Username: username, Cookies: res.Backend, IdPSession: res.IdPSession})
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
