package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/loopback"
	"github.com/clilogin/clilogin/internal/marker"
	"github.com/clilogin/clilogin/internal/ownfile"
	"github.com/clilogin/clilogin/internal/remotebrowser"
)

// Options is everything a command is told, from flags and the environment.
type Options struct {
	Command string
	Args    []string // after "--" (exec)

	Backend      *backend.Backend
	InsecureHTTP bool
	LoginPath    string
	CallbackPath string
	TokenPath    string
	WhoamiPath   string
	TokenField   string // the JSON field with the token, when the usual names do not fit
	WhoamiField  string // the JSON field with the identity
	Success      marker.Marker
	Timeout      time.Duration

	// Account is the account named by --account; "" when none was. The
	// app then sets it to the account it acts on (chooseAccount): else
	// --username, else the backend's only cached account.
	Account     string
	AllAccounts bool // logout --all
	Profile     string
	// profileByAccount is set when Profile is the default one of the
	// default account, to be named again once the account is chosen.
	profileByAccount bool
	Browser          string
	BrowserArgs      []string
	Headless         bool
	RemoteBrowser    string
	// InsecureRemoteBrowser allows a remote browser off loopback over
	// ws:// or http://.
	InsecureRemoteBrowser bool

	Username       string
	PasswordStdin  bool
	UsernameField  string
	PasswordField  string
	Submit         string
	NoConsent      bool
	NoPrompt       bool
	NoReplay       bool
	ExpectIdentity string
	VerifyIssuer   string

	MinTTL        time.Duration
	Force         bool
	Format        string
	DeleteProfile bool // logout --profile

	Output    string
	Artifacts string
	Verbose   bool
}

// Env reads the environment. Tests pass a map's lookup.
type Env func(name string) (string, bool)

// addFlags defines the command's flags, bound to o: those of its groups,
// then its own.
func (c command) addFlags(fs *pflag.FlagSet, o *Options) {
	fs.SortFlags = false
	if c.has(backendFlags | filterFlags) {
		help := "the backend: scheme, host, optional port and base path (required)"
		if c.has(filterFlags) {
			help = "show this backend only"
		}
		fs.StringP("backend", "b", "", help)
		fs.BoolVar(&o.InsecureHTTP, "insecure-http", false, "allow http:// for a backend that is not on loopback")
	}
	if c.has(jsonFlags) {
		fs.StringVarP(&o.Output, "output", "o", "text", "output format: text or json")
	}
	if c.has(accountFlags) {
		fs.StringVar(&o.Account, "account", "", "which of the backend's accounts (default: --username, else the backend's only cached account)")
	}
	if c.flags != nil {
		c.flags(fs, o)
	}
	if c.has(cacheFlags) {
		fs.DurationVar(&o.MinTTL, "min-ttl", time.Minute, "reuse a cached token only if it is valid at least this long")
		fs.BoolVar(&o.Force, "force", false, "ignore the cached token and cookies: sign in again, as login does")
	}
	if c.has(pathFlags | browserFlags) {
		fs.StringVar(&o.LoginPath, "login-path", "/login", "path that starts the login")
		fs.StringVar(&o.CallbackPath, "callback-path", "/callback", "path the IdP redirects back to")
		fs.StringVar(&o.TokenPath, "token-path", "/user/token", `path that answers the token ("" skips it)`)
		fs.StringVar(&o.WhoamiPath, "whoami-path", "/user/id", `path that answers who the token is ("" skips it)`)
	}
	if !c.has(browserFlags) {
		return
	}
	fs.StringVar(&o.TokenField, "token-field", "", "JSON field of the token path's answer that holds the token (default: access_token, id_token, token or jwt)")
	fs.StringVar(&o.WhoamiField, "whoami-field", "", "JSON field of the whoami path's answer that holds the identity (default: email, preferred_username, name or sub)")
	fs.String("success", "text:ok", "how the success page is recognised: text:STRING, css:SELECTOR or xpath:EXPR")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "time limit of the whole login")
	fs.StringVar(&o.Profile, "profile", "", "browser profile directory (default <config dir>/clilogin/profiles/<host_port>)")
	fs.StringVar(&o.Browser, "browser", "", "Chrome or Chromium binary (default: search the usual names)")
	fs.StringArrayVar(&o.BrowserArgs, "browser-arg", nil, "extra Chrome switch, e.g. --browser-arg=--proxy-server=host:3128 (repeatable)")
	fs.StringVar(&o.RemoteBrowser, "remote-browser", "", "use a remote browser instead of starting one: a Chrome's DevTools endpoint or a Selenium Grid (wss://… or https://…; ws:// or http:// on loopback)")
	fs.BoolVar(&o.InsecureRemoteBrowser, "insecure-remote-browser", false, "allow ws:// or http:// for a --remote-browser that is not on loopback (the password and cookies cross the network in clear text)")
	fs.BoolVar(&o.Headless, "headless", false, "run the browser without a window (default when CI=true or there is no display)")
	fs.StringVarP(&o.Username, "username", "u", "", "sign in at the IdP as this user (password from CLILOGIN_PASSWORD or --password-stdin)")
	fs.BoolVar(&o.PasswordStdin, "password-stdin", false, "read the password from the first line of standard input")
	fs.String("password", "", "refused: a password on the command line is visible to every user of the machine")
	_ = fs.MarkHidden("password")
	fs.StringVar(&o.UsernameField, "username-field", "", "CSS selector of the IdP's username field (default: detect)")
	fs.StringVar(&o.PasswordField, "password-field", "", "CSS selector of the IdP's password field (default: detect)")
	fs.StringVar(&o.Submit, "submit", "", "CSS selector of the IdP's submit button (default: detect)")
	fs.BoolVar(&o.NoConsent, "no-consent", false, "do not click through consent pages")
	fs.BoolVar(&o.NoPrompt, "no-prompt", false, "headless: never ask at the terminal for what the IdP's pages ask (fail instead)")
	fs.BoolVar(&o.NoReplay, "no-replay", false, "never replay the IdP's stored session over HTTP: use the browser when a login is needed")
	fs.StringVar(&o.ExpectIdentity, "expect-identity", "", "fail (exit 4) unless the identity is exactly this")
	fs.StringVar(&o.VerifyIssuer, "verify-issuer", "", "check the token's signature against this issuer's keys (OIDC discovery) before using it")
	fs.StringVarP(&o.Output, "output", "o", "text", "output format: text, json or env")
	fs.StringVar(&o.Artifacts, "artifacts", "", "on failure, write a screenshot, the page's HTML and the URLs visited (secrets redacted) into this directory")
	fs.BoolVarP(&o.Verbose, "verbose", "v", false, "log each step with timings on stderr (secrets redacted)")
}

// envName is the environment variable that sets a flag.
func envName(flag string) string {
	return "CLILOGIN_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// parseOptions parses a command line (without the program name) and the
// environment into Options, as Run does, without running the command.
func parseOptions(args []string, env Env) (Options, error) {
	var got Options
	root := newRoot(env, IO{Out: io.Discard, Err: io.Discard},
		func(_ command, o Options) error { got = o; return nil },
		func(Options) {})
	err := execute(context.Background(), root, args)
	return got, err
}

// complete reads the CLILOGIN_* variables of the flags that the command
// line did not set, then checks the options of command c.
func (o *Options) complete(c command, fs *pflag.FlagSet, env Env) error {
	if fs.Lookup("password") != nil && fs.Changed("password") {
		return failure.New(failure.Usage, "put the password in CLILOGIN_PASSWORD, or pipe it to --password-stdin",
			"--password is refused: a password on the command line is visible to every user of the machine")
	}
	// An empty name on the command line is a script's unset variable
	// (--account "$VIEWER"): taken as no name, it would serve the
	// backend's only cached account, whoever's that is.
	for _, name := range []string{"account", "username"} {
		if f := fs.Lookup(name); f != nil && f.Changed && f.Value.String() == "" {
			return failure.New(failure.Usage, "leave the flag out to use the backend's only cached account",
				"--%s cannot be empty", name)
		}
	}
	var envErr error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "help" || f.Name == "password" || envErr != nil ||
			c.name == "logout" && (f.Name == "profile" || f.Name == "all") || // deleting takes an explicit flag
			f.Name == "account" && o.AllAccounts { // --all names every account, CLILOGIN_ACCOUNT's too
			return
		}
		if v, ok := env(envName(f.Name)); ok {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = usageError("%s: %v", envName(f.Name), err)
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	if c.has(jsonFlags) && o.Output != "text" && o.Output != "json" {
		return usageError("--output must be text or json, got %q", o.Output)
	}
	raw, _ := fs.GetString("backend")
	switch {
	case c.has(backendFlags) && raw == "":
		return failure.New(failure.Usage, "pass --backend URL or set CLILOGIN_BACKEND",
			"--backend is required")
	case raw != "":
		u, err := backend.Parse(raw, o.InsecureHTTP)
		if err != nil {
			return err
		}
		o.Backend = u
	}
	if c.has(pathFlags | browserFlags) {
		for name, p := range map[string]string{"login-path": o.LoginPath, "callback-path": o.CallbackPath,
			"token-path": o.TokenPath, "whoami-path": o.WhoamiPath} {
			if p != "" && !strings.HasPrefix(p, "/") {
				return usageError("--%s must start with /, got %q", name, p)
			}
		}
	}
	if err := o.checkAccount(c); err != nil {
		return err
	}
	if c.check != nil {
		if err := c.check(o); err != nil {
			return err
		}
	}
	if !c.has(browserFlags) {
		if o.Backend != nil && c.has(cacheDirFlags) && c.name != "logout" { // logout chooses the profile to delete itself
			return o.defaultProfile(env)
		}
		return nil
	}
	return o.checkBrowser(c, fs, env)
}

// checkBrowser checks the options of a command that may run a browser
// login, and fills in the defaults that depend on the environment.
func (o *Options) checkBrowser(c command, fs *pflag.FlagSet, env Env) error {
	if c.has(cacheFlags) && o.MinTTL < 0 {
		return usageError("--min-ttl must not be negative, got %s", o.MinTTL)
	}
	success, _ := fs.GetString("success")
	var err error
	if o.Success, err = marker.ParseMarker(success); err != nil {
		return failure.Wrap(failure.Usage, "use --success text:STRING, css:SELECTOR or xpath:EXPR", fmt.Errorf("--success: %w", err))
	}
	for _, f := range []struct{ name, v string }{{"username-field", o.UsernameField}, {"password-field", o.PasswordField}, {"submit", o.Submit}} {
		if f.v == "" {
			continue
		}
		if err := marker.CheckCSS(f.v); err != nil {
			return failure.Wrap(failure.Usage, "pass a CSS selector Chrome understands, e.g. 'input[name=login]' or '#submit'", fmt.Errorf("--%s %w", f.name, err))
		}
	}
	if o.Artifacts != "" {
		if err := ownfile.CheckNewOrOwnDir(o.Artifacts); err != nil {
			return failure.Wrap(failure.Usage, "name a directory of your own, not a symbolic link (a missing one is created 0700)", fmt.Errorf("--artifacts: %w", err))
		}
	}
	if o.Timeout <= 0 {
		return usageError("--timeout must be positive, got %s", o.Timeout)
	}
	switch o.Output {
	case "text", "json", "env":
	default:
		return usageError("--output must be text, json or env, got %q", o.Output)
	}
	for _, a := range o.BrowserArgs {
		if !strings.HasPrefix(a, "--") {
			return usageError("--browser-arg %q must be a switch starting with --", a)
		}
	}
	if o.VerifyIssuer != "" {
		if u, err := url.Parse(o.VerifyIssuer); err != nil || (u.Scheme != "https" && !(u.Scheme == "http" && loopback.Host(u.Hostname()))) || u.Host == "" {
			return usageError("--verify-issuer must be an https:// issuer URL (http:// on loopback), got %q", o.VerifyIssuer)
		}
	}
	if o.RemoteBrowser != "" {
		if err := checkRemoteBrowser(o.RemoteBrowser, o.InsecureRemoteBrowser); err != nil {
			return err
		}
	}
	if o.LoginPath == "" {
		return usageError("--login-path cannot be empty: it starts the login")
	}
	if o.WhoamiPath != "" && o.TokenPath == "" {
		o.WhoamiPath = "" // nothing to call it with
	}

	if !fs.Changed("headless") {
		_, envSet := env(envName("headless"))
		if !envSet {
			o.Headless = defaultHeadless(env)
		}
	}
	return o.defaultProfile(env)
}

// profileDefault is the value of a bare "logout --profile", as its help
// shows it (--profile DIR[=default]): the backend's own profile. A
// directory named default is ./default.
const profileDefault = "default"

// deleteProfile is logout's --profile: it asks to delete a browser
// profile, the backend's own (bare, or =default) or DIR.
type deleteProfile struct{ o *Options }

func (p deleteProfile) Set(s string) error {
	if s == "" {
		return errors.New("a profile directory, or a bare --profile for the backend's own")
	}
	p.o.DeleteProfile = true
	p.o.Profile = s
	if s == profileDefault {
		p.o.Profile = ""
	}
	return nil
}

func (p deleteProfile) String() string { return p.o.Profile }

// Type is the name the help shows where the usage names none.
func (deleteProfile) Type() string { return "dir" }

// checkAccount checks the account that --account, or else --username,
// names.
func (o *Options) checkAccount(c command) error {
	if !c.has(accountFlags) {
		return nil
	}
	if o.AllAccounts && o.Account != "" {
		return usageError("--all and --account exclude each other: --all forgets every account")
	}
	switch {
	case o.Account != "":
		if err := backend.CheckAccount(o.Account); err != nil {
			return usageError("--account: %v", err)
		}
	case o.Username != "":
		if err := backend.CheckAccount(o.Username); err != nil {
			return failure.New(failure.Usage, "pass --account NAME to name the account", "--username cannot name an account: %v", err)
		}
	}
	return nil
}

// namedAccount is the account the options name: --account, else
// --username; "" when they name none.
func (o *Options) namedAccount() string {
	if o.Account != "" {
		return o.Account
	}
	return o.Username
}

// defaultProfile sets the profile directory when none was given.
func (o *Options) defaultProfile(env Env) error {
	if o.Profile != "" {
		return nil
	}
	account := o.namedAccount()
	if account == "" {
		account, o.profileByAccount = backend.DefaultAccount, true
	}
	dir, err := accountProfile(env, o.Backend, account)
	if err != nil {
		return failure.New(failure.Usage, "pass --profile DIR", "no user config directory for the browser profile: %w", err)
	}
	o.Profile = dir
	return nil
}

// accountProfile is the browser profile directory of an account of b: its
// own, that no other account signs in to.
func accountProfile(env Env, b *backend.Backend, account string) (string, error) {
	dir, err := userDir(env, "config")
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "clilogin", "profiles", b.AccountProfileName(account)), nil
}

// checkRemoteBrowser checks a --remote-browser URL: a DevTools or
// WebDriver endpoint over TLS anywhere, in clear text on loopback only,
// unless insecure.
func checkRemoteBrowser(raw string, insecure bool) error {
	_, err := remotebrowser.Check(raw, insecure)
	return err
}

// userDir is os.UserConfigDir or os.UserCacheDir (kind "config" or
// "cache") for this system, read from env.
func userDir(env Env, kind string) (string, error) {
	return userDirOn(runtime.GOOS, env, kind)
}

// userDirOn is userDir for the system goos, with os.UserConfigDir's and
// os.UserCacheDir's rules: %AppData% and %LocalAppData% on Windows,
// ~/Library/Application Support and ~/Library/Caches on macOS, and elsewhere
// $XDG_CONFIG_HOME / $XDG_CACHE_HOME when absolute (a relative one is
// ignored, as the XDG specification says), else ~/.config and ~/.cache.
func userDirOn(goos string, env Env, kind string) (string, error) {
	get := func(k string) string { v, _ := env(k); return v }
	home := get("HOME")
	switch goos {
	case "windows":
		name := map[string]string{"config": "AppData", "cache": "LocalAppData"}[kind]
		if d := get(name); d != "" {
			return d, nil
		}
		return "", fmt.Errorf("%%%s%% is not set", name)
	case "darwin", "ios":
		if home == "" {
			return "", errors.New("$HOME is not set")
		}
		if kind == "config" {
			return home + "/Library/Application Support", nil
		}
		return home + "/Library/Caches", nil
	case "plan9":
		if home = get("home"); home == "" {
			return "", errors.New("$home is not set")
		}
		if kind == "config" {
			return home + "/lib", nil
		}
		return home + "/lib/cache", nil
	}
	xdg := map[string]string{"config": "XDG_CONFIG_HOME", "cache": "XDG_CACHE_HOME"}[kind]
	if d := get(xdg); strings.HasPrefix(d, "/") {
		return d, nil
	}
	if home == "" {
		return "", fmt.Errorf("neither $%s nor $HOME is set", xdg)
	}
	return strings.TrimSuffix(home, "/") + "/." + kind, nil
}

// defaultHeadless is true in CI and where no display is available.
func defaultHeadless(env Env) bool {
	if v, _ := env("CI"); v == "true" || v == "1" {
		return true
	}
	if runtime.GOOS != "linux" {
		return false
	}
	d, _ := env("DISPLAY")
	w, _ := env("WAYLAND_DISPLAY")
	return d == "" && w == ""
}

func usageError(format string, args ...any) error {
	return failure.New(failure.Usage, "run 'clilogin --help' for usage", format, args...)
}
