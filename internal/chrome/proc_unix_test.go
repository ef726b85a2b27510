//go:build linux || darwin

package chrome

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// running reports whether pid is a live process (not a zombie).
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc (macOS): kill's answer stands
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// TestProcGroupEndsWhatOutlivesTheBrowser starts a "browser" that leaves a
// helper behind when it exits, as Chrome's helpers can, and checks that
// End kills the helper.
func TestProcGroupEndsWhatOutlivesTheBrowser(t *testing.T) {
	g := &ProcGroup{}
	cmd := exec.Command("/bin/sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!")
	g.Prepare(cmd)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	helper, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(helper, syscall.SIGKILL)
	if pgid, err := syscall.Getpgid(helper); err != nil || pgid != cmd.Process.Pid {
		t.Fatalf("helper's group %d, %v; want the browser's own group %d", pgid, err, cmd.Process.Pid)
	}
	if !running(helper) {
		t.Fatal("the helper is not running before End")
	}
	g.End()
	for deadline := time.Now().Add(5 * time.Second); running(helper); {
		if time.Now().After(deadline) {
			t.Fatal("the helper outlived End")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
