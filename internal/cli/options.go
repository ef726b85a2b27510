package cli

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/clilogin/clilogin/internal/browser"
	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/failure"
)

// Options is everything a command is told, from flags and the environment.
type Options struct {
	Command string
	Args    []string // after "--" (exec)

	Backend      *url.URL
	InsecureHTTP bool
	LoginPath    string
	CallbackPath string
	TokenPath    string
	WhoamiPath   string
	Success      browser.Marker
	Timeout      time.Duration

	Profile       string
	Browser       string
	BrowserArgs   []string
	Headless      bool
	RemoteBrowser string

	Username       string
	PasswordStdin  bool
	UsernameField  string
	PasswordField  string
	Submit         string
	NoConsent      bool
	ExpectIdentity string
	VerifyIssuer   string

	MinTTL        time.Duration
	Force         bool
	Format        string
	DeleteProfile bool // logout --profile

	Output    string
	Artifacts string
	Verbose   bool
	Help      bool
}

// Env reads the environment. Tests pass a map's lookup.
type Env func(name string) (string, bool)

// command describes which flags a command takes.
type command struct {
	backend bool // --backend is required
	browser bool // may run a browser login: all login flags
	cached  bool // serves from the cache: --min-ttl, --force
}

var commands = map[string]command{
	"login":      {backend: true, browser: true},
	"token":      {backend: true, browser: true, cached: true},
	"whoami":     {backend: true, browser: true, cached: true},
	"cookies":    {backend: true, browser: true, cached: true},
	"exec":       {backend: true, browser: true, cached: true},
	"status":     {},
	"logout":     {backend: true},
	"version":    {},
	"completion": {},
}

// flagSet defines the flags of cmd, bound to o.
func flagSet(cmd string, o *Options) *pflag.FlagSet {
	fs := pflag.NewFlagSet("clilogin "+cmd, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.BoolVarP(&o.Help, "help", "h", false, "show this help")
	c := commands[cmd]
	if c.backend || cmd == "status" {
		help := "the backend: scheme, host, optional port and base path (required)"
		if cmd == "status" {
			help = "show this backend only"
		}
		fs.StringP("backend", "b", "", help)
		fs.BoolVar(&o.InsecureHTTP, "insecure-http", false, "allow http:// for a backend that is not on loopback")
	}
	switch cmd {
	case "status":
		fs.StringVarP(&o.Output, "output", "o", "text", "output format: text or json")
		return fs
	case "logout":
		fs.StringVar(&o.Profile, "profile", "", "also delete the browser profile (the IdP session): the default one, or --profile=DIR")
		fs.Lookup("profile").NoOptDefVal = profileDefault
		return fs
	case "cookies":
		fs.StringVar(&o.Format, "format", "netscape", "netscape (curl -b, wget), json, playwright (storageState) or header (Cookie: value)")
	}
	if c.cached {
		fs.DurationVar(&o.MinTTL, "min-ttl", time.Minute, "reuse a cached token only if it is valid at least this long")
		fs.BoolVar(&o.Force, "force", false, "ignore the cached token and cookies: run the browser login")
	}
	if !c.browser {
		return fs
	}
	fs.StringVar(&o.LoginPath, "login-path", "/login", "path that starts the login")
	fs.StringVar(&o.CallbackPath, "callback-path", "/callback", "path the IdP redirects back to")
	fs.StringVar(&o.TokenPath, "token-path", "/user/token", `path that answers the token ("" skips it)`)
	fs.StringVar(&o.WhoamiPath, "whoami-path", "/user/id", `path that answers who the token is ("" skips it)`)
	fs.String("success", "text:ok", "how the success page is recognised: text:STRING, css:SELECTOR or xpath:EXPR")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "time limit of the whole login")
	fs.StringVar(&o.Profile, "profile", "", "browser profile directory (default <config dir>/clilogin/profiles/<host_port>)")
	fs.StringVar(&o.Browser, "browser", "", "Chrome or Chromium binary (default: search the usual names)")
	fs.StringArrayVar(&o.BrowserArgs, "browser-arg", nil, "extra Chrome switch, e.g. --browser-arg=--proxy-server=host:3128 (repeatable)")
	fs.StringVar(&o.RemoteBrowser, "remote-browser", "", "use a running Chrome's DevTools endpoint (ws://… or http://host:port) instead of starting one")
	fs.BoolVar(&o.Headless, "headless", false, "run the browser without a window (default when CI=true or there is no display)")
	fs.StringVarP(&o.Username, "username", "u", "", "sign in at the IdP as this user (password from CLILOGIN_PASSWORD or --password-stdin)")
	fs.BoolVar(&o.PasswordStdin, "password-stdin", false, "read the password from the first line of standard input")
	fs.String("password", "", "refused: a password on the command line is visible to every user of the machine")
	_ = fs.MarkHidden("password")
	fs.StringVar(&o.UsernameField, "username-field", "", "CSS selector of the IdP's username field (default: detect)")
	fs.StringVar(&o.PasswordField, "password-field", "", "CSS selector of the IdP's password field (default: detect)")
	fs.StringVar(&o.Submit, "submit", "", "CSS selector of the IdP's submit button (default: detect)")
	fs.BoolVar(&o.NoConsent, "no-consent", false, "do not click through consent pages")
	fs.StringVar(&o.ExpectIdentity, "expect-identity", "", "fail (exit 4) unless the identity is exactly this")
	fs.StringVar(&o.VerifyIssuer, "verify-issuer", "", "check the token's signature against this issuer's keys (OIDC discovery) before using it")
	fs.StringVarP(&o.Output, "output", "o", "text", "output format: text, json or env")
	fs.StringVar(&o.Artifacts, "artifacts", "", "on failure, write a screenshot, the page's HTML and the URLs visited (secrets redacted) into this directory")
	fs.BoolVarP(&o.Verbose, "verbose", "v", false, "log each step with timings on stderr (secrets redacted)")
	return fs
}

// envName is the environment variable that sets a flag.
func envName(flag string) string {
	return "CLILOGIN_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// parseOptions parses a command line (without the program name) and the
// environment into Options. Flags win over CLILOGIN_* variables.
func parseOptions(args []string, env Env) (Options, error) {
	var o Options
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			o.Help = true
			return o, nil
		}
		return o, usageError("no command given")
	}
	o.Command = args[0]
	if _, ok := commands[o.Command]; !ok {
		return o, usageError("unknown command %q", o.Command)
	}
	fs := flagSet(o.Command, &o)
	fs.SetOutput(discard{})
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			o.Help = true
			return o, nil
		}
		return o, usageError("%v", err)
	}
	o.Args = fs.Args()
	if o.Help {
		return o, nil
	}
	c := commands[o.Command]
	if fs.Lookup("password") != nil && fs.Changed("password") {
		return o, failure.New(failure.Usage, "put the password in CLILOGIN_PASSWORD, or pipe it to --password-stdin",
			"--password is refused: a password on the command line is visible to every user of the machine")
	}
	var envErr error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "help" || f.Name == "password" || envErr != nil ||
			o.Command == "logout" && f.Name == "profile" { // deleting takes an explicit flag
			return
		}
		if v, ok := env(envName(f.Name)); ok {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = usageError("%s: %v", envName(f.Name), err)
			}
		}
	})
	if envErr != nil {
		return o, envErr
	}
	switch o.Command {
	case "exec":
		if len(o.Args) == 0 {
			return o, usageError("exec needs a command: clilogin exec -b URL -- CMD [ARGS]")
		}
	case "completion":
	default:
		if len(o.Args) > 0 {
			return o, usageError("unexpected argument %q", o.Args[0])
		}
	}
	if o.Command == "logout" && o.Profile != "" {
		o.DeleteProfile = true
		if o.Profile == profileDefault {
			o.Profile = ""
		}
	}
	if !c.backend && !(o.Command == "status" && fs.Changed("backend")) {
		if o.Command == "status" && o.Output != "text" && o.Output != "json" {
			return o, usageError("--output must be text or json, got %q", o.Output)
		}
		return o, nil
	}

	raw, _ := fs.GetString("backend")
	if raw == "" {
		return o, failure.New(failure.Usage, "pass --backend URL or set CLILOGIN_BACKEND",
			"--backend is required")
	}
	u, err := parseBackend(raw, o.InsecureHTTP)
	if err != nil {
		return o, err
	}
	o.Backend = u
	if o.Command == "logout" {
		return o, nil // the profile to delete, if any, is chosen by logout
	}
	if !c.browser {
		return o, o.defaultProfile(env)
	}
	if o.Command == "cookies" && !slices.Contains(cookies.Formats, o.Format) {
		return o, usageError("--format must be one of %s, got %q", strings.Join(cookies.Formats, ", "), o.Format)
	}
	if c.cached && o.MinTTL < 0 {
		return o, usageError("--min-ttl must not be negative, got %s", o.MinTTL)
	}

	success, _ := fs.GetString("success")
	if o.Success, err = browser.ParseMarker(success); err != nil {
		return o, failure.Wrap(failure.Usage, "use --success text:STRING, css:SELECTOR or xpath:EXPR", fmt.Errorf("--success: %w", err))
	}
	if o.Timeout <= 0 {
		return o, usageError("--timeout must be positive, got %s", o.Timeout)
	}
	switch o.Output {
	case "text", "json", "env":
	default:
		return o, usageError("--output must be text, json or env, got %q", o.Output)
	}
	for name, p := range map[string]string{"login-path": o.LoginPath, "callback-path": o.CallbackPath,
		"token-path": o.TokenPath, "whoami-path": o.WhoamiPath} {
		if p != "" && !strings.HasPrefix(p, "/") {
			return o, usageError("--%s must start with /, got %q", name, p)
		}
	}
	for _, a := range o.BrowserArgs {
		if !strings.HasPrefix(a, "--") {
			return o, usageError("--browser-arg %q must be a switch starting with --", a)
		}
	}
	if o.VerifyIssuer != "" {
		if u, err := url.Parse(o.VerifyIssuer); err != nil || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) || u.Host == "" {
			return o, usageError("--verify-issuer must be an https:// issuer URL (http:// on loopback), got %q", o.VerifyIssuer)
		}
	}
	if o.RemoteBrowser != "" {
		if u, err := url.Parse(o.RemoteBrowser); err != nil || (u.Scheme != "ws" && u.Scheme != "wss" && u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return o, usageError("--remote-browser must be a DevTools endpoint ws://host:port/… or http://host:port, got %q", o.RemoteBrowser)
		}
	}
	if o.LoginPath == "" {
		return o, usageError("--login-path cannot be empty: it starts the login")
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
	return o, o.defaultProfile(env)
}

// profileDefault is the value of a bare "logout --profile".
const profileDefault = "\x00default"

// defaultProfile sets the profile directory when none was given.
func (o *Options) defaultProfile(env Env) error {
	if o.Profile != "" {
		return nil
	}
	dir, err := userDir(env, "config")
	if err != nil {
		return failure.New(failure.Usage, "pass --profile DIR", "no user config directory for the browser profile: %w", err)
	}
	o.Profile = filepath.Join(dir, "clilogin", "profiles", hostPort(o.Backend))
	return nil
}

// parseBackend checks a --backend URL.
func parseBackend(raw string, insecureHTTP bool) (*url.URL, error) {
	hint := "pass the backend as scheme://host[:port][/base], e.g. https://api.example.com"
	u, err := url.Parse(raw)
	if err != nil {
		return nil, failure.New(failure.Usage, hint, "--backend %q is not a URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, failure.New(failure.Usage, hint, "--backend %q must start with https:// or http://", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, failure.New(failure.Usage, hint, "--backend %q has no host", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, failure.New(failure.Usage, hint, "--backend must not hold user info, a query or a fragment")
	}
	if u.Scheme == "http" && !insecureHTTP && !isLoopback(u.Hostname()) {
		return nil, failure.New(failure.Usage, "use https://, or pass --insecure-http if you accept sending the session in clear text",
			"--backend %s uses http:// on a host that is not loopback", u.Redacted())
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostPort names a backend's profile and cache entry: host_port.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	name := strings.Trim(strings.ToLower(u.Hostname()), "[]") + "_" + port
	return strings.NewReplacer(":", "_", "/", "_").Replace(name)
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

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
