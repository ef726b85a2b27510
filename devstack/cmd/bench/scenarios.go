package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/clilogin/clilogin/devstack"
)

// The two browsers; a scenario that applies to both runs with each.
const (
	shellPath    = "/usr/lib/chromium/chromium-headless-shell"
	chromiumPath = "/usr/lib/chromium/chromium"
)

// browser is a Chromium binary.
type browser struct{ name, path string }

func browsers() []browser {
	return []browser{{"shell", shellPath}, {"chromium", chromiumPath}}
}

// Scenario keys, stable in the JSON.
const (
	idCold         = "cold-headless-login"
	idWarm         = "warm-headless-login"
	idHeaded       = "warm-headed-login"
	idTokenCache   = "token-from-cache"
	idTokenCookies = "token-via-cookies"
	idReplay       = "relogin-replay"
	idBare         = "bare-start-close"
	idHTTPCold     = "plain-http-cold-login"
	idHTTPWarm     = "plain-http-warm-login"
	idConsent      = "cold-consent-login"
	idConsentWalk  = "cdp-consent-walk"
	idGlewlwyd     = "cold-glewlwyd-login"
	idGlewlwydWalk = "cdp-glewlwyd-walk"
)

// Timing of the cookie-path scenario. clilogin serves the cached token while
// it is valid for --min-ttl; else it renews it through the cached cookies,
// and falls back to the browser unless the renewed token is valid for
// --min-ttl. Every renewed token lives tokenTTL, so a large --min-ttl (say
// 1000h) always ends in the browser: --min-ttl is just under tokenTTL, and
// each run waits until the cached token is cookieGap old (its exp is in whole
// seconds, hence the second of slack).
const (
	tokenTTL     = time.Hour
	cookieMinTTL = tokenTTL - 2*time.Second
	cookieGap    = 2200 * time.Millisecond
)

// cliTimeout is clilogin's --timeout in every run.
const cliTimeout = "60s"

// sample is one timed run.
type sample struct {
	took   time.Duration
	peakKB int64 // the browser's peak PSS; -1 when no browser ran
}

// scenario is one line of the table.
type scenario struct {
	id, name, browser string
	needs             string // a browser binary the scenario needs
	run               func(ctx context.Context) ([]sample, error)
}

// skipError is a scenario that cannot run here; it is reported, not failed.
type skipError struct{ reason string }

func (e skipError) Error() string { return "skipped: " + e.reason }

func (b *bench) scenarios() []scenario {
	var s []scenario
	for _, br := range browsers() {
		s = append(s, scenario{idCold, "cold headless login (autofill)", br.name, br.path,
			func(ctx context.Context) ([]sample, error) { return b.coldLogins(ctx, br) }})
	}
	for _, br := range browsers() {
		s = append(s, scenario{idWarm, "warm headless login", br.name, br.path,
			func(ctx context.Context) ([]sample, error) { return b.warmLogins(ctx, br, "") }})
	}
	chromium := browsers()[1]
	s = append(s,
		scenario{idHeaded, "warm headed login (Xvfb)", chromium.name, chromium.path,
			func(ctx context.Context) ([]sample, error) { return b.headedLogins(ctx, chromium) }},
		scenario{idTokenCache, "token from the cache", "-", shellPath, b.tokenFromCache},
		scenario{idTokenCookies, "token via cached cookies", "-", shellPath, b.tokenFromCookies},
		scenario{idReplay, "re-login replayed over HTTP (no browser)", "-", shellPath, b.replayedLogins},
	)
	for _, br := range browsers() {
		s = append(s, scenario{idBare, "floor: bare start+close", br.name, br.path,
			func(ctx context.Context) ([]sample, error) { return b.bareStarts(ctx, br) }})
	}
	s = append(s, b.seedScenarios()...)
	shell := browsers()[0]
	return append(s,
		scenario{idConsent, "cold login + consent (oidc-provider)", shell.name, shell.path,
			func(ctx context.Context) ([]sample, error) { return b.consentLogins(ctx, shell) }},
		scenario{idConsentWalk, "floor: CDP walk (oidc-provider)", shell.name, shell.path,
			func(ctx context.Context) ([]sample, error) { return b.consentWalks(ctx, shell) }},
		scenario{idGlewlwyd, "cold login (Glewlwyd SPA)", shell.name, shell.path,
			func(ctx context.Context) ([]sample, error) { return b.glewlwydLogins(ctx, shell) }},
		scenario{idGlewlwydWalk, "floor: CDP walk (Glewlwyd SPA)", shell.name, shell.path,
			func(ctx context.Context) ([]sample, error) { return b.glewlwydWalks(ctx, shell) }},
		scenario{idHTTPCold, "floor: cold plain-HTTP login", "-", "", b.httpColdLogins},
		scenario{idHTTPWarm, "floor: warm plain-HTTP login", "-", "", b.httpWarmLogins},
	)
}

// measure runs a scenario; its failure or skip is kept in the result.
func (b *bench) measure(ctx context.Context, sc scenario) result {
	fmt.Fprintf(b.log, "bench: %s (%s)\n", sc.name, sc.browser)
	r := result{ID: sc.id, Scenario: sc.name, Browser: sc.browser}
	var samples []sample
	err := needBinary(sc.needs)
	if err == nil {
		samples, err = sc.run(ctx)
	}
	var skip skipError
	switch {
	case errors.As(err, &skip):
		r.Skipped = skip.reason
		fmt.Fprintf(b.log, "bench:   %v\n", err)
	case err != nil:
		r.Error = err.Error()
		fmt.Fprintf(b.log, "bench:   FAILED: %v\n", err)
	default:
		r.setSamples(samples)
	}
	return r
}

func needBinary(path string) error {
	if path == "" {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("browser missing (scripts/deps.sh test installs it): %w", err)
	}
	return nil
}

// repeat times count runs of once.
func (b *bench) repeat(ctx context.Context, count int, once func(context.Context) (sample, error)) ([]sample, error) {
	samples := make([]sample, 0, count)
	for i := range count {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("interrupted: %w", err)
		}
		s, err := once(ctx)
		if err != nil {
			return nil, fmt.Errorf("run %d of %d: %w", i+1, count, err)
		}
		fmt.Fprintf(b.log, "bench:   run %d/%d  %s%s\n", i+1, count, formatDuration(s.took), formatPeak(s.peakKB, "  "))
		samples = append(samples, s)
	}
	return samples, nil
}

// paired makes a browser scenario's run of two runs of run: one timed,
// with the browser's processes only followed, then one with their PSS
// sampled, not timed (see startSampler).
func paired(run func(ctx context.Context, pss bool) (sample, error)) func(context.Context) (sample, error) {
	return func(ctx context.Context) (sample, error) {
		timed, err := run(ctx, false)
		if err != nil {
			return sample{}, err
		}
		sampled, err := run(ctx, true)
		if err != nil {
			return sample{}, fmt.Errorf("run with PSS sampling: %w", err)
		}
		return sample{took: timed.took, peakKB: sampled.peakKB}, nil
	}
}

// fastRuns is the number of runs of the scenarios without a browser.
func fastRuns(n int) int { return max(4*n, 20) }

// loginArgs is a login with the browser br on profile.
func (b *bench) loginArgs(br browser, profile string, extra ...string) []string {
	return append([]string{"login", "--backend", b.stack.BackendURL, "--browser", br.path,
		"--profile", profile, "--timeout", cliTimeout}, extra...)
}

// autofill are the flags of a login that signs in as the demo user.
func autofill() []string { return []string{"--username", devstack.DemoUser.Email} }

// login runs a clilogin login and checks that it printed the demo user.
func (b *bench) login(ctx context.Context, inv invocation) (sample, error) {
	o, err := b.clilogin(ctx, inv)
	if err != nil {
		return sample{}, err
	}
	if want := "as " + devstack.DemoUser.Email; !strings.Contains(o.stdout, want) {
		return sample{}, fmt.Errorf("clilogin login printed %q, want %q in it", o.stdout, want)
	}
	return o.sample, nil
}

// coldLogins: a fresh profile and HOME each run, the form filled in.
func (b *bench) coldLogins(ctx context.Context, br browser) ([]sample, error) {
	return b.repeat(ctx, b.opts.n, paired(func(ctx context.Context, pss bool) (sample, error) {
		d, err := b.dir("cold")
		if err != nil {
			return sample{}, err
		}
		defer os.RemoveAll(d)
		profile := filepath.Join(d, "profile")
		return b.login(ctx, invocation{dir: d, profile: profile, pss: pss, password: true,
			args: b.loginArgs(br, profile, append(autofill(), "--headless")...)})
	}))
}

// warmLogins: one priming login with the form filled in, then logins on
// the same profile without credentials: the IdP's session makes them
// silent. Headless when display is "", else in a window on display.
func (b *bench) warmLogins(ctx context.Context, br browser, display string) ([]sample, error) {
	d, err := b.dir("warm")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(d)
	profile := filepath.Join(d, "profile")
	var mode []string
	if display == "" {
		mode = []string{"--headless"}
	}
	prime := invocation{dir: d, profile: profile, display: display, password: true,
		args: b.loginArgs(br, profile, append(autofill(), mode...)...)}
	if _, err := b.login(ctx, prime); err != nil {
		return nil, fmt.Errorf("priming login: %w", err)
	}
	// --no-replay: the browser's warm login is measured, not the replay.
	warm := invocation{dir: d, profile: profile, display: display, args: b.loginArgs(br, profile, append(mode, "--no-replay")...)}
	return b.repeat(ctx, b.opts.n, paired(func(ctx context.Context, pss bool) (sample, error) {
		inv := warm
		inv.pss = pss
		return b.login(ctx, inv)
	}))
}

// headedLogins are warm logins in an app window on a virtual display.
func (b *bench) headedLogins(ctx context.Context, br browser) ([]sample, error) {
	if b.opts.skipHeaded {
		return nil, skipError{"-skip-headed"}
	}
	x, err := startXvfb(ctx)
	if err != nil {
		return nil, err
	}
	defer x.stop()
	fmt.Fprintf(b.log, "bench:   Xvfb on %s\n", x.display)
	return b.warmLogins(ctx, br, x.display)
}

// tokenArgs is a token command for the stack's backend.
func (b *bench) tokenArgs(extra ...string) []string {
	return append([]string{"token", "--backend", b.stack.BackendURL, "--timeout", cliTimeout}, extra...)
}

// primeToken signs in (headless shell, form filled in) and caches the
// login in d's HOME; it returns the token. The browser's profile is the
// default one, under d.
func (b *bench) primeToken(ctx context.Context, d string) (string, error) {
	o, err := b.clilogin(ctx, invocation{dir: d, profile: d, password: true,
		args: b.tokenArgs(append(autofill(), "--headless", "--browser", shellPath)...)})
	if err != nil {
		return "", fmt.Errorf("priming token: %w", err)
	}
	return jwt(o.stdout)
}

// jwt is a token alone on a line.
func jwt(stdout string) (string, error) {
	tok := strings.TrimSpace(stdout)
	if strings.Count(tok, ".") != 2 || !strings.HasPrefix(tok, "eyJ") || stdout != tok+"\n" {
		return "", fmt.Errorf("clilogin token printed %.40q, not a token alone", stdout)
	}
	return tok, nil
}

// tokenFromCache: the token is served from the cache, no request at all.
func (b *bench) tokenFromCache(ctx context.Context) ([]sample, error) {
	d, err := b.dir("cache")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(d)
	want, err := b.primeToken(ctx, d)
	if err != nil {
		return nil, err
	}
	if err := b.checkPath(ctx, d, "token from the cache", b.tokenArgs()); err != nil {
		return nil, err
	}
	inv := invocation{dir: d, args: b.tokenArgs()}
	return b.repeat(ctx, fastRuns(b.opts.n), func(ctx context.Context) (sample, error) {
		o, err := b.clilogin(ctx, inv)
		if err != nil {
			return sample{}, err
		}
		if got, err := jwt(o.stdout); err != nil || got != want {
			return sample{}, fmt.Errorf("clilogin token printed another token (%v): not from the cache", err)
		}
		return o.sample, nil
	})
}

// tokenFromCookies: the cached token is not fresh enough, and the cached
// cookies get a new one from the backend, without a browser. See
// cookieMinTTL for why every run waits cookieGap first (not timed).
func (b *bench) tokenFromCookies(ctx context.Context) ([]sample, error) {
	d, err := b.dir("cookies")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(d)
	if _, err := b.primeToken(ctx, d); err != nil {
		return nil, err
	}
	args := b.tokenArgs("--min-ttl", cookieMinTTL.String())
	return b.tokenRuns(ctx, d, args, "with the cached cookies (no browser)", func() error { return sleep(ctx, cookieGap) })
}

// replayedLogins: the backend's sessions are gone and the cached token is
// stale, so each run signs in again; with the IdP's session kept from the
// priming login, the login is replayed over HTTP and no browser starts.
// Forgetting the sessions and ageing the token are not timed.
func (b *bench) replayedLogins(ctx context.Context) ([]sample, error) {
	d, err := b.dir("replay")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(d)
	if _, err := b.primeToken(ctx, d); err != nil {
		return nil, err
	}
	stale := func() error {
		b.stack.ForgetSessions()
		return ageCache(filepath.Join(d, "home", ".cache", "clilogin"))
	}
	return b.tokenRuns(ctx, d, b.tokenArgs(), "signed in again over HTTP", stale)
}

// tokenRuns times `clilogin token` runs that must take the path whose -v
// log says want, checked (not timed) before the first run and after the
// last, so that no run fell back to a browser. prepare runs, not timed,
// before each run and each check.
func (b *bench) tokenRuns(ctx context.Context, d string, args []string, want string, prepare func() error) ([]sample, error) {
	check := func() error {
		if err := prepare(); err != nil {
			return err
		}
		return b.checkPath(ctx, d, want, args)
	}
	if err := check(); err != nil {
		return nil, err
	}
	inv := invocation{dir: d, args: args}
	samples, err := b.repeat(ctx, fastRuns(b.opts.n), func(ctx context.Context) (sample, error) {
		if err := prepare(); err != nil {
			return sample{}, err
		}
		o, err := b.clilogin(ctx, inv)
		if err != nil {
			return sample{}, err
		}
		_, err = jwt(o.stdout)
		return o.sample, err
	})
	if err != nil {
		return nil, err
	}
	return samples, check()
}

// ageCache makes the cached token in dir look expired.
func ageCache(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) != 1 {
		return fmt.Errorf("want one cache entry in %s, got %q (%v)", dir, files, err)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	var e map[string]any
	if err := json.Unmarshal(b, &e); err != nil {
		return err
	}
	e["token_expires_at"] = time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	if b, err = json.Marshal(e); err != nil {
		return err
	}
	return os.WriteFile(files[0], b, 0o600)
}

// checkPath runs clilogin once more with -v (not timed) and checks that its
// log says want and that it started no browser.
func (b *bench) checkPath(ctx context.Context, d, want string, args []string) error {
	o, err := b.clilogin(ctx, invocation{dir: d, args: slices.Concat(args, []string{"-v"})})
	if err != nil {
		return err
	}
	if !strings.Contains(o.stderr, want) || strings.Contains(o.stderr, "browser started") {
		return fmt.Errorf("clilogin %s did not take the path %q; its -v log:\n%s", strings.Join(args, " "), want, o.stderr)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("interrupted: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}
