package cli

import (
	"errors"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Reference returns the command tree exactly as the help shows it, for the
// generated reference pages and man pages. Its commands do not run, and no
// environment variable changes what it shows.
func Reference() *cobra.Command {
	noEnv := func(string) (string, bool) { return "", false }
	stdio := IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}
	root := newRoot(noEnv, stdio, func(command, Options) error {
		return errors.New("cli: the reference command tree does not run commands")
	}, func(Options) {})
	return root
}
