// Command clilogin signs in to a web backend through a real Chrome window
// and hands the backend's token to the terminal.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/clilogin/clilogin/internal/cli"
)

func main() {
	// The signal cancels the command's wait; the browser itself is closed
	// gracefully by the command, so the profile keeps the IdP session.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.LookupEnv, cli.IO{
		In:            os.Stdin,
		Out:           os.Stdout,
		Err:           os.Stderr,
		ErrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		InIsTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
	})
	stop()
	os.Exit(code)
}
