package chrome

import (
	"strings"

	"golang.org/x/sys/windows"
)

// chromeAlive reports whether the process pid runs and is a Chromium
// browser. Chrome on Windows keeps no SingletonLock symbolic link, so this
// is reached only for a profile that a Linux or macOS Chrome used.
func chromeAlive(pid int) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return false
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil || code != 259 { // STILL_ACTIVE
		return false
	}
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n := uint32(len(buf))
	if err := windows.QueryFullProcessImageName(h, 0, &buf[0], &n); err != nil {
		return true
	}
	name := strings.ToLower(windows.UTF16ToString(buf[:n]))
	return strings.Contains(name, "chrom") || strings.Contains(name, "msedge") || strings.Contains(name, "brave")
}
