//go:build unix

package cli

import (
	"os"
	"syscall"
)

// forwardedSignals are passed on to the command that exec runs.
func forwardedSignals() []os.Signal {
	return []os.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2}
}
