package chrome

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// chromeAlive reports whether the process pid exists and, when its command
// line can be read, is a Chrome, not another program that got the PID.
func chromeAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err != nil || strings.Contains(strings.ToLower(string(cmd)), "chrom")
}
