package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/cache"
	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/escape"
	"github.com/clilogin/clilogin/internal/failure"
)

// flagGroup is a set of flags that several commands share.
type flagGroup int

const (
	backendFlags  flagGroup = 1 << iota // --backend (required), --insecure-http
	filterFlags                         // --backend (optional: show this backend only), --insecure-http
	browserFlags                        // everything a browser login needs (the paths too), -o text|json|env, -v
	cacheFlags                          // --min-ttl, --force
	jsonFlags                           // -o text|json
	cacheDirFlags                       // the command reads or writes the cache
	pathFlags                           // --login-path, --callback-path, --token-path, --whoami-path
	accountFlags                        // --account
)

// command is one clilogin command. Adding a command is adding an entry to
// commandTable: its help, its flags and the function that runs it.
type command struct {
	parent  string // the command it is a subcommand of, e.g. "passkey"
	name    string
	short   string // one line in 'clilogin --help'
	long    string // the command's own help, after short
	example string
	groups  flagGroup
	// flags defines the command's own flags, beyond its groups.
	flags func(fs *pflag.FlagSet, o *Options)
	// args checks the positional arguments; nil allows none.
	args cobra.PositionalArgs
	// check validates the command's own options after parsing.
	check func(o *Options) error
	run   func(ctx context.Context, a *app) error
}

func (c command) has(g flagGroup) bool { return c.groups&g != 0 }

// commandTable is every command, in the order 'clilogin --help' lists them.
var commandTable = []command{
	{
		name:  "login",
		short: "Sign in now through the browser and print who you are",
		long: `Signs in to the backend now, ignoring the cached token and cookies: opens
the backend's login path in a Chrome app window on a persistent profile, lets
you (or clilogin itself, with --username) sign in at the identity provider,
waits for the success page, fetches the token and the identity, and caches
them with the backend's cookies.`,
		example: `  clilogin login -b https://api.example.com
  CLILOGIN_PASSWORD=… clilogin login -b https://staging.example.com -u smoke@example.com --headless -o json`,
		groups: backendFlags | browserFlags | cacheDirFlags | accountFlags,
		run:    runLogin,
	},
	{
		name:  "token",
		short: "Print a valid token alone on stdout",
		long: `Prints a valid token alone on stdout: from the cache when it is valid for at
least --min-ttl; else from the token path with the cached cookies (no
browser); else by replaying the identity provider's stored session over HTTP
(no browser); else through a browser login. -o json names the one that
served: "source" is "cache", "cookies", "replay" or "browser".`,
		example: `  curl -H "Authorization: Bearer $(clilogin token -b https://api.example.com)" https://api.example.com/things
  eval "$(clilogin token -b https://api.example.com -o env)"`,
		groups: backendFlags | browserFlags | cacheFlags | cacheDirFlags | accountFlags,
		run:    runToken,
	},
	{
		name:    "whoami",
		short:   "Print who the backend says you are",
		long:    `Calls the whoami path with a valid token (same fallbacks as token) and prints the identity.`,
		example: `  clilogin whoami -b https://api.example.com`,
		groups:  backendFlags | browserFlags | cacheFlags | cacheDirFlags | accountFlags,
		run:     runWhoami,
	},
	{
		name:  "cookies",
		short: "Print the backend's session cookies for other tools",
		long: `Prints the backend's cookies (same fallbacks as token) as a curl/wget cookie
file (netscape), JSON, a Playwright storageState file or a Cookie header value.
The identity provider's cookies are never exported.`,
		example: `  clilogin cookies -b https://api.example.com > jar.txt && curl -b jar.txt https://api.example.com/things
  curl -H "Cookie: $(clilogin cookies -b https://api.example.com --format header)" https://api.example.com/things`,
		groups: backendFlags | browserFlags | cacheFlags | cacheDirFlags | accountFlags,
		flags: func(fs *pflag.FlagSet, o *Options) {
			fs.StringVar(&o.Format, "format", "netscape", "netscape (curl -b, wget), json, playwright (storageState) or header (Cookie: value)")
		},
		check: func(o *Options) error {
			if !slices.Contains(cookies.Formats(), o.Format) {
				return usageError("--format must be one of %s, got %q", strings.Join(cookies.Formats(), ", "), o.Format)
			}
			return nil
		},
		run: runCookies,
	},
	{
		name:  "exec",
		short: "Run a command with CLILOGIN_TOKEN set to a valid token",
		long: `Runs CMD with CLILOGIN_TOKEN set to a valid token (same fallbacks as token)
and exits with its exit code (127 when CMD is not found, 128+N when a signal N
killed it). clilogin's flags come before CMD; everything from CMD on is CMD's.`,
		example: `  clilogin exec -b https://api.example.com -- sh -c 'curl -H "Authorization: Bearer $CLILOGIN_TOKEN" https://api.example.com/things'`,
		groups:  backendFlags | browserFlags | cacheFlags | cacheDirFlags | accountFlags,
		args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("exec needs a command: clilogin exec -b URL -- CMD [ARGS]")
			}
			return nil
		},
		run: runExec,
	},
	{
		name:  "status",
		short: "List the cached logins, never a secret",
		long:  `Lists the cached logins: backend, account, identity, token expiry, cookie count and profile. It never shows a token or a cookie.`,
		example: `  clilogin status
  clilogin status -b https://api.example.com -o json`,
		groups: filterFlags | jsonFlags | cacheDirFlags,
		run:    func(_ context.Context, a *app) error { return runStatus(a) },
	},
	{
		name:  "logout",
		short: "Forget the cached login; --profile also deletes the IdP session",
		long: `Forgets the cached token, cookies and identity provider's session of the
backend's account (--account NAME; without it, the backend's only account), or
of every account with --all. With --profile it also deletes the account's
browser profile, and with it the identity provider's session; --profile=DIR
deletes a given profile. A directory that does not look like a browser
profile, or a profile in use, is refused.`,
		example: `  clilogin logout -b https://api.example.com
  clilogin logout -b https://api.example.com --account admin@example.com --profile
  clilogin logout -b https://api.example.com --all`,
		groups: backendFlags | cacheDirFlags | accountFlags,
		flags: func(fs *pflag.FlagSet, o *Options) {
			fs.BoolVar(&o.AllAccounts, "all", false, "forget every account of the backend")
			fs.Var(deleteProfile{o}, "profile", "also delete the browser profile (the IdP session): the account's own, or `DIR`")
			fs.Lookup("profile").NoOptDefVal = profileDefault
		},
		run: func(_ context.Context, a *app) error { return runLogout(a) },
	},
	{
		name:  "check",
		short: "Check the backend's login contract without a browser",
		long: `Walks the backend's contract as far as plain HTTP can, without a browser,
and says step by step what is right and what is wrong, with the flag or fix
that would help: the backend answers; the login path redirects to an identity
provider (and its discovery document is reachable); the redirect_uri shows the
callback path; the token path without a session, and the whoami path without a
token, are refused. Exit 0 when every step looks right, 5 otherwise.`,
		example: `  clilogin check -b https://api.example.com
  clilogin check -b http://127.0.0.1:5000 --callback-path /auth -o json`,
		groups: backendFlags | pathFlags | jsonFlags | accountFlags,
		flags:  checkFlags,
		check:  checkOptions,
		run:    func(ctx context.Context, a *app) error { return runCheck(ctx, a.o, a.stdio) },
	},
	{
		parent: "passkey",
		name:   "enroll",
		short:  "Sign in, let the IdP's page register a passkey, and print it once for CI",
		long: `Signs in to the backend through the browser with a virtual authenticator
(Chrome's WebAuthn DevTools domain) in place of a security key. When the
identity provider's own page adds a passkey or security key during the login,
the virtual authenticator registers it; clilogin then prints that passkey once
on stdout, as one line for CLILOGIN_WEBAUTHN_CREDENTIAL in a CI secret store.
The line holds the passkey's private key: it is a secret.`,
		example: `  clilogin passkey enroll -b https://staging.example.com   # register it in the window
  CLILOGIN_WEBAUTHN_CREDENTIAL="$SECRET" CLILOGIN_PASSWORD=… clilogin login -b https://staging.example.com -u ci@example.com --headless`,
		groups: backendFlags | browserFlags | cacheDirFlags,
		run:    runPasskeyEnroll,
	},
	{
		name:  "version",
		short: "Print clilogin's version",
		run: func(_ context.Context, a *app) error {
			fmt.Fprintln(a.stdio.Out, "clilogin", version())
			return nil
		},
	},
}

// overview is the top of 'clilogin --help'.
const overview = `clilogin signs in to a web backend through a real Chrome window and hands
the backend's token to the terminal.

Every flag can also be set with CLILOGIN_<FLAG> (e.g. CLILOGIN_BACKEND,
CLILOGIN_TOKEN_PATH); a flag on the command line wins. The password is never a
flag: set CLILOGIN_PASSWORD or use --password-stdin.

Exit codes: 0 ok, 1 internal error, 2 usage, 3 timeout, 4 login refused,
5 backend or IdP unreachable or broken, 6 browser problem, 130 interrupted.`

// newRoot builds the command tree. run is called with the options of the
// command that runs, after they are parsed and checked; parsed is called
// first with whatever was parsed, so that a failure can still be reported
// in the requested output format.
func newRoot(env Env, stdio IO, run func(c command, o Options) error, parsed func(o Options)) *cobra.Command {
	root := &cobra.Command{
		Use:   "clilogin",
		Short: "Sign in to a web backend through a real Chrome window",
		Long:  overview,
		Example: `  clilogin login -b https://api.example.com
  curl -H "Authorization: Bearer $(clilogin token -b https://api.example.com)" https://api.example.com/things`,
		Args:          cobra.ArbitraryArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("no command given")
			}
			return unknownCommand(cmd, args[0])
		},
	}
	root.SuggestionsMinimumDistance = 2
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	root.SetFlagErrorFunc(flagError)
	parents := map[string]*cobra.Command{}
	for _, c := range commandTable {
		o := &Options{}
		cmd := &cobra.Command{
			Use:                   c.name + " [flags]",
			Short:                 c.short,
			Long:                  strings.TrimSpace(c.short + ".\n\n" + c.long),
			Example:               c.example,
			DisableFlagsInUseLine: true,
			Args: func(cmd *cobra.Command, args []string) error {
				if c.args != nil {
					return c.args(cmd, args)
				}
				if len(args) > 0 {
					return usageError("unexpected argument %q", args[0])
				}
				return nil
			},
			RunE: func(cmd *cobra.Command, args []string) error {
				o.Command, o.Args = strings.TrimSpace(c.parent+" "+c.name), args
				err := o.complete(c, cmd.Flags(), env)
				parsed(*o)
				if err != nil {
					return err
				}
				return run(c, *o)
			},
		}
		if c.name == "exec" {
			cmd.Use = "exec [flags] -- CMD [ARGS]"
			cmd.Flags().SetInterspersed(false) // CMD's own flags are CMD's
		}
		c.addFlags(cmd.Flags(), o)
		if c.has(accountFlags) {
			_ = cmd.RegisterFlagCompletionFunc("account", func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
				return completeAccounts(cmd.Flags(), env), cobra.ShellCompDirectiveNoFileComp
			})
		}
		for name, values := range map[string][]string{"output": outputValues(c), "format": cookies.Formats()} {
			_ = cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
		}
		if c.parent == "" {
			root.AddCommand(cmd)
			continue
		}
		p := parents[c.parent]
		if p == nil {
			name := c.parent
			p = &cobra.Command{Use: name, Short: "Passkeys (WebAuthn) for CI: enroll",
				Args: cobra.ArbitraryArgs,
				RunE: func(cmd *cobra.Command, args []string) error {
					return failure.New(failure.Usage, fmt.Sprintf("run 'clilogin %s --help' for its commands", name), "%s needs a command", name)
				}}
			parents[c.parent] = p
			root.AddCommand(p)
		}
		p.AddCommand(cmd)
	}
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	return root
}

// execute runs the command line args on root. A first word that names no
// command is reported as such before any flag is parsed.
func execute(ctx context.Context, root *cobra.Command, args []string) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") && !strings.HasPrefix(args[0], "__") { // __complete: cobra's own
		if c, _, err := root.Find(args); err == nil && c == root {
			return unknownCommand(root, args[0])
		}
	}
	root.SetArgs(append([]string{}, args...)) // never nil: cobra would read os.Args
	return root.ExecuteContext(ctx)
}

// unknownCommand says that name is no command, suggesting the nearest one.
func unknownCommand(root *cobra.Command, name string) error {
	hint := "run 'clilogin --help' for the list of commands"
	if s := root.SuggestionsFor(name); len(s) > 0 {
		hint = fmt.Sprintf("did you mean 'clilogin %s'?", s[0])
	}
	return failure.New(failure.Usage, hint, "unknown command %q", name)
}

// completeAccounts offers the cached accounts for --account: the
// backend's, when --backend or CLILOGIN_BACKEND names one, else every
// backend's.
func completeAccounts(fs *pflag.FlagSet, env Env) []string {
	dir, err := userDir(env, "cache")
	if err != nil {
		return nil
	}
	raw, _ := fs.GetString("backend")
	if raw == "" {
		raw, _ = env(envName("backend"))
	}
	var b *backend.Backend
	if raw != "" {
		if b, err = backend.Parse(raw, true); err != nil {
			return nil
		}
	}
	entries, err := accountEntries(cache.Store{Dir: filepath.Join(dir, "clilogin")}, b)
	if err != nil {
		return nil
	}
	names := accountNames(entries)
	for i, n := range names {
		names[i] = escape.Control(n)
	}
	return names
}

// outputValues are the values of a command's -o.
func outputValues(c command) []string {
	switch {
	case c.has(browserFlags):
		return []string{"text", "json", "env"}
	case c.has(jsonFlags):
		return []string{"text", "json"}
	}
	return nil
}

// flagError makes a flag that cannot be parsed a usage error.
func flagError(cmd *cobra.Command, err error) error {
	return failure.New(failure.Usage, fmt.Sprintf("run '%s --help' for usage", cmd.CommandPath()), "%v", err)
}
