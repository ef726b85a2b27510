package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/failure"
)

func envOf(m map[string]string) Env {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseOptions(t *testing.T) {
	display := map[string]string{"DISPLAY": ":0", "XDG_CONFIG_HOME": "/cfg"}
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, o Options)
	}{
		{
			name: "defaults",
			args: []string{"login", "--backend", "https://api.example.com/"},
			env:  display,
			check: func(t *testing.T, o Options) {
				if o.Backend.String() != "https://api.example.com" {
					t.Errorf("backend = %s", o.Backend)
				}
				if o.LoginPath != "/login" || o.CallbackPath != "/callback" || o.TokenPath != "/user/token" || o.WhoamiPath != "/user/id" {
					t.Errorf("paths = %q %q %q %q", o.LoginPath, o.CallbackPath, o.TokenPath, o.WhoamiPath)
				}
				if o.Success.String() != "text:ok" || o.Timeout != 5*time.Minute || o.Output != "text" {
					t.Errorf("success %s timeout %s output %s", o.Success, o.Timeout, o.Output)
				}
				if o.Headless {
					t.Error("headless with a display and no CI")
				}
				if want := filepath.Join("/cfg", "clilogin", "profiles", "api.example.com_443"); o.Profile != want {
					t.Errorf("profile = %s, want %s", o.Profile, want)
				}
			},
		},
		{
			name: "CLILOGIN_NO_PROMPT turns terminal prompts off",
			args: []string{"login", "--backend", "https://api.example.com/"},
			env:  map[string]string{"CLILOGIN_NO_PROMPT": "true", "XDG_CONFIG_HOME": "/cfg"},
			check: func(t *testing.T, o Options) {
				if !o.NoPrompt {
					t.Error("NoPrompt is false")
				}
			},
		},
		{
			name: "environment fills what flags do not set",
			args: []string{"login", "--timeout", "30s"},
			env: map[string]string{"DISPLAY": ":0", "CLILOGIN_BACKEND": "http://127.0.0.1:8080/app",
				"CLILOGIN_TIMEOUT": "1m", "CLILOGIN_USERNAME": "alice", "CLILOGIN_SUCCESS": "css:#done",
				"CLILOGIN_TOKEN_PATH": "", "CLILOGIN_PROFILE": "/p", "CLILOGIN_BROWSER_ARG": "--lang=en"},
			check: func(t *testing.T, o Options) {
				if o.Backend.String() != "http://127.0.0.1:8080/app" || o.Username != "alice" || o.Profile != "/p" {
					t.Errorf("backend %s user %s profile %s", o.Backend, o.Username, o.Profile)
				}
				if o.Timeout != 30*time.Second {
					t.Errorf("timeout = %s: the flag must win over CLILOGIN_TIMEOUT", o.Timeout)
				}
				if o.Success.Kind != "css" || o.Success.Value != "#done" {
					t.Errorf("success = %s", o.Success)
				}
				if o.TokenPath != "" || o.WhoamiPath != "" {
					t.Errorf("empty CLILOGIN_TOKEN_PATH must skip token and whoami: %q %q", o.TokenPath, o.WhoamiPath)
				}
				if len(o.BrowserArgs) != 1 || o.BrowserArgs[0] != "--lang=en" {
					t.Errorf("browser args = %q", o.BrowserArgs)
				}
			},
		},
		{
			name: "CLILOGIN_ACCOUNT names the account, and its profile",
			args: []string{"login", "-b", "https://x.example", "-u", "alice@example.test"},
			env:  map[string]string{"DISPLAY": ":0", "XDG_CONFIG_HOME": "/cfg", "CLILOGIN_ACCOUNT": "ops"},
			check: func(t *testing.T, o Options) {
				if o.Account != "ops" || o.Username != "alice@example.test" {
					t.Errorf("account %q username %q", o.Account, o.Username)
				}
				if want := filepath.Join("/cfg", "clilogin", "profiles", o.Backend.AccountProfileName("ops")); o.Profile != want || !strings.Contains(o.Profile, "x.example_443@ops-") {
					t.Errorf("profile = %s, want %s", o.Profile, want)
				}
			},
		},
		{
			name: "headless by default in CI",
			args: []string{"login", "-b", "https://x.example"},
			env:  map[string]string{"DISPLAY": ":0", "CI": "true"},
			check: func(t *testing.T, o Options) {
				if !o.Headless {
					t.Error("not headless with CI=true")
				}
			},
		},
		{
			name: "headless by default without a display",
			args: []string{"login", "-b", "https://x.example"},
			env:  map[string]string{},
			check: func(t *testing.T, o Options) {
				if want := "/home/u/.config/clilogin/profiles/x.example_443"; o.Profile != want {
					t.Errorf("profile = %s, want %s", o.Profile, want)
				}
				if !o.Headless {
					t.Error("not headless without DISPLAY")
				}
			},
		},
		{
			name: "--headless=false wins over CI",
			args: []string{"login", "-b", "https://x.example", "--headless=false"},
			env:  map[string]string{"CI": "true"},
			check: func(t *testing.T, o Options) {
				if o.Headless {
					t.Error("headless although --headless=false")
				}
			},
		},
		{
			name: "http on loopback names and IPv6",
			args: []string{"login", "-b", "http://[::1]:9000"},
			env:  display,
			check: func(t *testing.T, o Options) {
				if !strings.HasSuffix(o.Profile, "::1_9000") && !strings.HasSuffix(o.Profile, "__1_9000") {
					t.Errorf("profile = %s", o.Profile)
				}
			},
		},
		{
			name: "remote browser: wss anywhere, ws on loopback, clear text elsewhere with --insecure-remote-browser",
			args: []string{"login", "-b", "https://x.example", "--remote-browser", "http://10.1.2.3:9222", "--insecure-remote-browser"},
			env:  display,
			check: func(t *testing.T, o Options) {
				if o.RemoteBrowser != "http://10.1.2.3:9222" || !o.InsecureRemoteBrowser {
					t.Errorf("remote %q insecure %v", o.RemoteBrowser, o.InsecureRemoteBrowser)
				}
				for _, ok := range []string{"wss://chrome.example/devtools/browser/x", "https://grid.example:4444", "ws://127.0.0.1:9222/devtools/browser/x", "http://localhost:9222", "http://[::1]:9222"} {
					if _, err := parseOptions([]string{"login", "-b", "https://x.example", "--remote-browser", ok}, envOf(display)); err != nil {
						t.Errorf("--remote-browser %s: %v", ok, err)
					}
				}
			},
		},
		{
			name: "--token-field and --whoami-field, and their variables",
			args: []string{"token", "-b", "https://x.example", "--token-field", "data.jwt"},
			env:  map[string]string{"DISPLAY": ":0", "CLILOGIN_TOKEN_FIELD": "ignored", "CLILOGIN_WHOAMI_FIELD": "login"},
			check: func(t *testing.T, o Options) {
				if o.TokenField != "data.jwt" || o.WhoamiField != "login" {
					t.Errorf("token field %q whoami field %q", o.TokenField, o.WhoamiField)
				}
			},
		},
		{
			name: "check takes the paths, --timeout and -o",
			args: []string{"check", "-b", "http://127.0.0.1:5000/", "--callback-path", "/auth", "-o", "json"},
			env:  map[string]string{"CLILOGIN_TOKEN_PATH": "/api/token"},
			check: func(t *testing.T, o Options) {
				if o.Backend.String() != "http://127.0.0.1:5000" || o.CallbackPath != "/auth" || o.TokenPath != "/api/token" ||
					o.LoginPath != "/login" || o.WhoamiPath != "/user/id" || o.Output != "json" || o.Timeout != 10*time.Second {
					t.Errorf("%+v", o)
				}
			},
		},
		{
			name: "http elsewhere with --insecure-http",
			args: []string{"login", "-b", "http://intranet.example", "--insecure-http", "-o", "json", "-v"},
			env:  display,
			check: func(t *testing.T, o Options) {
				if o.Output != "json" || !o.Verbose || !o.InsecureHTTP {
					t.Errorf("%+v", o)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := tt.env["HOME"]; !ok && tt.env != nil {
				tt.env["HOME"] = "/home/u"
			}
			o, err := parseOptions(tt.args, envOf(tt.env))
			if err != nil {
				t.Fatalf("parseOptions: %v", err)
			}
			tt.check(t, o)
		})
	}
}

func TestParseOptionsRefuses(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // in the error
	}{
		{"no command", nil, nil, "no command given"},
		{"unknown command", []string{"logon"}, nil, `unknown command "logon"`},
		{"unknown flag", []string{"login", "-b", "https://x.example", "--bogus"}, nil, "unknown flag: --bogus"},
		{"no backend", []string{"login"}, nil, "--backend is required"},
		{"not a URL", []string{"login", "-b", "://x"}, nil, "is not a URL"},
		{"no scheme", []string{"login", "-b", "api.example.com"}, nil, "must start with https:// or http://"},
		{"ftp", []string{"login", "-b", "ftp://api.example.com"}, nil, "must start with https:// or http://"},
		{"no host", []string{"login", "-b", "https://"}, nil, "has no host"},
		{"query", []string{"login", "-b", "https://x.example/?a=b"}, nil, "must not hold user info, a query or a fragment"},
		{"user info", []string{"login", "-b", "https://u:p@x.example"}, nil, "must not hold user info"},
		{"http not loopback", []string{"login", "-b", "http://api.example.com"}, nil, "uses http:// on a host that is not loopback"},
		{"password flag", []string{"login", "-b", "https://x.example", "--password", "hunter2"}, nil, "--password is refused"},
		{"bad marker", []string{"login", "-b", "https://x.example", "--success", "ok"}, nil, "--success"},
		{"bad marker kind", []string{"login", "-b", "https://x.example", "--success", "regex:o+k"}, nil, "not text, css or xpath"},
		{"bad timeout", []string{"login", "-b", "https://x.example", "--timeout", "soon"}, nil, "invalid argument"},
		{"negative timeout", []string{"login", "-b", "https://x.example", "--timeout", "-1s"}, nil, "--timeout must be positive"},
		{"bad env", []string{"login", "-b", "https://x.example"}, map[string]string{"CLILOGIN_TIMEOUT": "soon"}, "CLILOGIN_TIMEOUT"},
		{"bad output", []string{"login", "-b", "https://x.example", "-o", "yaml"}, nil, "--output must be text, json or env"},
		{"relative path", []string{"login", "-b", "https://x.example", "--token-path", "token"}, nil, "--token-path must start with /"},
		{"empty login path", []string{"login", "-b", "https://x.example", "--login-path", ""}, nil, "--login-path cannot be empty"},
		{"browser arg not a switch", []string{"login", "-b", "https://x.example", "--browser-arg", "x"}, nil, "must be a switch"},
		{"extra argument", []string{"login", "-b", "https://x.example", "extra"}, nil, `unexpected argument "extra"`},
		// A *.localhost name is loopback only when it resolves to loopback:
		// this one resolves to nothing, and Go would ask DNS for it.
		{"http on a .localhost name that is not loopback", []string{"login", "-b", "http://app.localhost:8080"}, nil, "uses http:// on a host that is not loopback"},
		{"remote browser off loopback in clear", []string{"login", "-b", "https://x.example", "--remote-browser", "http://10.1.2.3:9222"}, nil, "--remote-browser http://10.1.2.3:9222 is not on loopback"},
		{"remote browser ws off loopback", []string{"login", "-b", "https://x.example", "--remote-browser", "ws://chrome:9222/devtools/browser/x"}, nil, "not on loopback"},
		{"bad css selector", []string{"login", "-b", "https://x.example", "--success", "css:[[["}, nil, "--success"},
		{"bad xpath", []string{"login", "-b", "https://x.example", "--success", "xpath:!!bad"}, nil, "--success"},
		{"bad submit selector", []string{"login", "-b", "https://x.example", "--submit", "[[["}, nil, `--submit "[[[" is not a valid CSS selector`},
		{"bad username field", []string{"token", "-b", "https://x.example", "--username-field", "input[name="}, nil, "--username-field"},
		{"bad password field", []string{"cookies", "-b", "https://x.example", "--password-field", "#a::"}, nil, "--password-field"},
		{"bad selector from the environment", []string{"login", "-b", "https://x.example"}, map[string]string{"CLILOGIN_SUBMIT": ">>"}, "--submit"},
		{"check without backend", []string{"check"}, nil, "--backend is required"},
		{"check -o env", []string{"check", "-b", "https://x.example", "-o", "env"}, nil, "--output must be text or json"},
		{"check relative path", []string{"check", "-b", "https://x.example", "--callback-path", "cb"}, nil, "--callback-path must start with /"},
		{"check takes no browser flags", []string{"check", "-b", "https://x.example", "--headless"}, nil, "unknown flag: --headless"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseOptions(tt.args, envOf(tt.env))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if failure.KindOf(err) != failure.Usage {
				t.Errorf("kind = %v, want usage", failure.KindOf(err))
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Error("the error shows the password")
			}
		})
	}
}

func TestRunShowsErrorAndHintAndExitCode(t *testing.T) {
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"login", "-b", "http://api.example.com"}, envOf(nil), IO{Out: &out, Err: &errb})
	if code != ExitUsage {
		t.Errorf("exit %d, want %d", code, ExitUsage)
	}
	if out.Len() != 0 {
		t.Errorf("stdout not empty: %q", out.String())
	}
	want := "clilogin: error: --backend http://api.example.com uses http:// on a host that is not loopback\n" +
		"clilogin: hint: use https://, or pass --insecure-http if you accept sending the session in clear text\n"
	if errb.String() != want {
		t.Errorf("stderr =\n%s\nwant\n%s", errb.String(), want)
	}
}

func TestRunHelpAndVersionAndCompletion(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"login", "--help"}, "--success"},
		{[]string{"help", "cookies"}, "--format"},
		{[]string{"login", "--help"}, "--token-field"},
		{[]string{"check", "--help"}, "--callback-path"},
		{[]string{"version"}, "clilogin "},
		{[]string{"completion", "bash"}, "complete -o default -F __start_clilogin clilogin"},
		{[]string{"completion", "zsh"}, "compdef _clilogin clilogin"},
		{[]string{"completion", "fish"}, "complete -c clilogin"},
		{[]string{"completion", "powershell"}, "Register-ArgumentCompleter"},
	} {
		var out, errb bytes.Buffer
		if code := Run(context.Background(), tt.args, envOf(nil), IO{Out: &out, Err: &errb}); code != 0 {
			t.Errorf("%v: exit %d: %s", tt.args, code, errb.String())
		}
		if !strings.Contains(out.String(), tt.want) {
			t.Errorf("%v: stdout does not contain %q:\n%s", tt.args, tt.want, out.String())
		}
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}} {
		var out, errb bytes.Buffer
		if code := Run(context.Background(), args, envOf(nil), IO{Out: &out, Err: &errb}); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		for _, c := range commandTable {
			if c.parent != "" {
				// A subcommand is listed in its parent's help, the parent here.
				var sub bytes.Buffer
				if code := Run(context.Background(), []string{c.parent, "--help"}, envOf(nil), IO{Out: &sub, Err: &errb}); code != 0 {
					t.Fatalf("%v %s: exit %d: %s", args, c.parent, code, errb.String())
				}
				if !strings.Contains(out.String(), c.parent) || !strings.Contains(sub.String(), c.name) || !strings.Contains(sub.String(), c.short) {
					t.Errorf("%v does not list %s %s (%q):\n%s", args, c.parent, c.name, c.short, sub.String())
				}
				continue
			}
			if !strings.Contains(out.String(), c.name) || !strings.Contains(out.String(), c.short) {
				t.Errorf("%v does not list %s (%q):\n%s", args, c.name, c.short, out.String())
			}
		}
	}
}

func TestCompletionOffersEachCommandsOwnFlags(t *testing.T) {
	complete := func(args ...string) string {
		var out, errb bytes.Buffer
		Run(context.Background(), append([]string{"__complete"}, args...), envOf(nil), IO{Out: &out, Err: &errb})
		return out.String()
	}
	for _, tt := range []struct {
		args     []string
		want     []string
		dontWant []string
	}{
		{[]string{"cookies", "--"}, []string{"--format", "--min-ttl", "--force", "--backend"}, nil},
		{[]string{"login", "--"}, []string{"--success", "--username"}, []string{"--format", "--min-ttl", "--force"}},
		{[]string{"status", "--"}, []string{"--output", "--backend"}, []string{"--success", "--format"}},
		{[]string{"logout", "--"}, []string{"--profile"}, []string{"--success"}},
		{[]string{"cookies", "--format", ""}, []string{"netscape", "json", "playwright", "header"}, nil},
		{[]string{"token", "-o", ""}, []string{"text", "json", "env"}, nil},
		{[]string{""}, []string{"login", "token", "whoami", "cookies", "exec", "status", "logout", "version", "completion"}, nil},
	} {
		got := complete(tt.args...)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("completing %q: no %s in\n%s", tt.args, w, got)
			}
		}
		for _, w := range tt.dontWant {
			if strings.Contains(got, w+"\t") || strings.Contains(got, w+"\n") {
				t.Errorf("completing %q: %s offered, it is not this command's flag:\n%s", tt.args, w, got)
			}
		}
	}
}

func TestUnknownCommandSuggests(t *testing.T) {
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"logn", "-b", "https://x.example"}, envOf(nil), IO{Out: &out, Err: &errb})
	if code != ExitUsage {
		t.Errorf("exit %d, want %d", code, ExitUsage)
	}
	want := "clilogin: error: unknown command \"logn\"\nclilogin: hint: did you mean 'clilogin login'?\n"
	if errb.String() != want {
		t.Errorf("stderr = %q, want %q", errb.String(), want)
	}
}

func TestRunMapsEveryKindToItsExitCode(t *testing.T) {
	for kind, code := range map[failure.Kind]int{
		failure.Internal: 1, failure.Usage: 2, failure.Timeout: 3, failure.Refused: 4,
		failure.Unreachable: 5, failure.Browser: 6, failure.Interrupted: 130,
	} {
		var errb bytes.Buffer
		got := report(failure.New(kind, "do this", "that went wrong"), Options{}, IO{Err: &errb}, nil)
		if got != code {
			t.Errorf("kind %v: exit %d, want %d", kind, got, code)
		}
		if kind != failure.Interrupted && !strings.Contains(errb.String(), "clilogin: error: that went wrong\nclilogin: hint: do this\n") {
			t.Errorf("kind %v: stderr = %q", kind, errb.String())
		}
	}
}

func TestReportWritesOneJSONObjectOnFailure(t *testing.T) {
	steps := &timeline{}
	steps.step("browser start")
	steps.step("form")
	var out, errb bytes.Buffer
	code := report(failure.New(failure.Refused, "check the password", "the identity provider refused the sign-in: Wrong password."),
		Options{Output: "json"}, IO{Out: &out, Err: &errb}, steps)
	if code != ExitRefused {
		t.Errorf("exit %d", code)
	}
	var got struct {
		Error, Hint, Kind, Step string
		ExitCode                int `json:"exit_code"`
		Timings                 map[string]float64
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out.String())
	}
	if got.Kind != "refused" || got.ExitCode != 4 || got.Step != "form" || got.Hint != "check the password" ||
		got.Error != "the identity provider refused the sign-in: Wrong password." {
		t.Errorf("json = %+v", got)
	}
	if _, ok := got.Timings["browser_start"]; !ok {
		t.Errorf("timings = %v, want browser_start and form", got.Timings)
	}
	if _, ok := got.Timings["form"]; !ok {
		t.Errorf("timings = %v, want browser_start and form", got.Timings)
	}
	if !strings.Contains(errb.String(), "clilogin: error: ") {
		t.Errorf("stderr = %q", errb.String())
	}
}

// --artifacts naming a symbolic link or something that is not a directory
// is refused up front (exit 2), not found out after a failed login.
func TestParseOptionsRefusesAnArtifactsDirItWouldNotUse(t *testing.T) {
	dir := t.TempDir()
	link, file := filepath.Join(dir, "link"), filepath.Join(dir, "file")
	if err := os.Symlink(t.TempDir(), link); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := envOf(map[string]string{"XDG_CONFIG_HOME": dir})
	for path, want := range map[string]string{link: "symbolic link", file: "not a directory"} {
		_, err := parseOptions([]string{"login", "-b", "https://x.example", "--artifacts", path}, env)
		if failure.KindOf(err) != failure.Usage || !strings.Contains(fmt.Sprint(err), want) {
			t.Errorf("--artifacts %s: %v (kind %v), want a usage error saying %q", path, err, failure.KindOf(err), want)
		}
	}
	for _, ok := range []string{dir, filepath.Join(dir, "missing", "yet")} {
		if _, err := parseOptions([]string{"login", "-b", "https://x.example", "--artifacts", ok}, env); err != nil {
			t.Errorf("--artifacts %s: %v", ok, err)
		}
	}
}

// TestLogoutProfile: a bare --profile (or =default) deletes the backend's
// own profile, --profile=DIR deletes DIR, and no --profile deletes none.
func TestLogoutProfile(t *testing.T) {
	env := envOf(map[string]string{"XDG_CONFIG_HOME": "/cfg", "CLILOGIN_PROFILE": "/from/env"})
	const own = "" // runLogout finds it: the cache entry's, or the default
	for _, c := range []struct {
		flag    []string
		delete  bool
		profile string
	}{
		{nil, false, own},
		{[]string{"--profile"}, true, own},
		{[]string{"--profile=default"}, true, own},
		{[]string{"--profile=./default"}, true, "./default"},
		{[]string{"--profile=/p/dir"}, true, "/p/dir"},
	} {
		o, err := parseOptions(append([]string{"logout", "-b", "https://api.example.com"}, c.flag...), env)
		if err != nil {
			t.Fatalf("%v: %v", c.flag, err)
		}
		if o.DeleteProfile != c.delete || o.Profile != c.profile {
			t.Errorf("%v: delete %v profile %q, want %v %q", c.flag, o.DeleteProfile, o.Profile, c.delete, c.profile)
		}
	}
	if _, err := parseOptions([]string{"logout", "-b", "https://api.example.com", "--profile="}, env); err == nil {
		t.Error("logout --profile= (empty) was accepted")
	}
}
