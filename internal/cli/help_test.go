package cli

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestHelpHasNoControlBytes runs --help of every command, cobra's own
// (help, completion and its shells) included, and finds no control byte
// but newline and tab: a NUL or an escape in help text garbles a terminal and
// every golden file that records it.
func TestHelpHasNoControlBytes(t *testing.T) {
	root := newRoot(envOf(nil), IO{Out: io.Discard, Err: io.Discard},
		func(command, Options) error { return nil }, func(Options) {})
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			walk(sub, append(append([]string(nil), path...), sub.Name()))
		}
	}
	walk(root, nil)
	if len(paths) < len(commandTable)+2 {
		t.Fatalf("found %d commands, want at least %d", len(paths), len(commandTable)+2)
	}
	for _, p := range paths {
		args := append(append([]string(nil), p...), "--help")
		r := runCLI(t, nil, args...)
		if r.code != 0 || r.stdout == "" {
			t.Errorf("clilogin %s: exit %d, %d bytes of help; stderr %q", strings.Join(args, " "), r.code, len(r.stdout), r.stderr)
		}
		for i, b := range []byte(r.stdout + r.stderr) {
			if b < 0x20 && b != '\n' && b != '\t' || b == 0x7f {
				out := r.stdout + r.stderr
				t.Errorf("clilogin %s: control byte %#02x at %d: %q", strings.Join(args, " "), b, i, out[max(0, i-40):min(len(out), i+20)])
				break
			}
		}
	}
}

// TestTokenHelpNamesEverySource: token --help names each value of -o
// json's "source", so a user can tell which path served.
func TestTokenHelpNamesEverySource(t *testing.T) {
	r := runCLI(t, nil, "token", "--help")
	help := strings.Join(strings.Fields(r.stdout), " ")
	for _, s := range []source{fromCache, fromCookies, fromReplay, fromBrowser} {
		if !strings.Contains(help, `"`+string(s)+`"`) {
			t.Errorf("token --help does not name the source %q:\n%s", s, r.stdout)
		}
	}
}
