package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

const overview = `clilogin signs in to a web backend through a real Chrome window and hands
the backend's token to the terminal.

Usage:
  clilogin login --backend URL [flags]    sign in through the browser and print who you are
  clilogin check --backend URL            check the backend's login, token and whoami paths without a browser
  clilogin version                        print the version
  clilogin completion bash|zsh|fish       print a shell completion script

Run 'clilogin COMMAND --help' for the flags of a command. Every flag can also
be set with CLILOGIN_<FLAG> (e.g. CLILOGIN_BACKEND); flags win.

Exit codes: 0 ok, 1 internal error, 2 usage, 3 timeout, 4 login refused,
5 backend or IdP unreachable or broken, 6 browser problem, 130 interrupted.
`

func usage(cmd string) string {
	if _, ok := commands[cmd]; !ok {
		return overview
	}
	var o Options
	fs := flagSet(cmd, &o)
	var b strings.Builder
	fmt.Fprintf(&b, "Usage:\n  clilogin %s [flags]\n\nFlags:\n%s", cmd, fs.FlagUsages())
	if commands[cmd].browser {
		b.WriteString("\nThe password is never a flag: set CLILOGIN_PASSWORD or use --password-stdin.\n")
	}
	return b.String()
}

// runCompletion prints a completion script for the shell.
func runCompletion(args []string, w io.Writer) error {
	if len(args) != 1 {
		return usageError("completion takes one shell: bash, zsh or fish")
	}
	names := make([]string, 0, len(commands))
	for c := range commands {
		names = append(names, c)
	}
	slices.Sort(names)
	var o Options
	var flags []string
	flagSet("login", &o).VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			flags = append(flags, "--"+f.Name)
		}
	})
	switch args[0] {
	case "bash":
		fmt.Fprintf(w, `# bash completion for clilogin; source it: source <(clilogin completion bash)
_clilogin() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W %q -- "$cur"))
  else
    COMPREPLY=($(compgen -W %q -- "$cur"))
  fi
}
complete -F _clilogin clilogin
`, strings.Join(names, " "), strings.Join(flags, " "))
	case "zsh":
		fmt.Fprintf(w, `#compdef clilogin
# zsh completion for clilogin; source it: source <(clilogin completion zsh)
_clilogin() {
  if (( CURRENT == 2 )); then
    compadd -- %s
  else
    compadd -- %s
  fi
}
compdef _clilogin clilogin
`, strings.Join(names, " "), strings.Join(flags, " "))
	case "fish":
		for _, n := range names {
			fmt.Fprintf(w, "complete -c clilogin -n __fish_use_subcommand -a %s\n", n)
		}
		for _, f := range flags {
			fmt.Fprintf(w, "complete -c clilogin -n 'not __fish_use_subcommand' -l %s\n", strings.TrimPrefix(f, "--"))
		}
	default:
		return usageError("completion: unknown shell %q; use bash, zsh or fish", args[0])
	}
	return nil
}
