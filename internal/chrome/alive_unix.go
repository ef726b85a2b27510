//go:build unix && !linux

package chrome

import (
	"errors"
	"syscall"
)

// chromeAlive reports whether the process pid exists. These systems have
// no /proc to read its command line from.
func chromeAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
