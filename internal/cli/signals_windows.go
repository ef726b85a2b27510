package cli

import (
	"os"
	"syscall"
)

// forwardedSignals are passed on to the command that exec runs. Windows
// delivers only Ctrl-C and Ctrl-Break (os.Interrupt) and a console close
// (SIGTERM); a Ctrl-C in the console reaches the command directly.
func forwardedSignals() []os.Signal { return []os.Signal{syscall.SIGTERM} }
