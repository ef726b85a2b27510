package chrome

import (
	"os/exec"
	"syscall"
)

// ProcGroup makes the browser's processes end with clilogin.
//
// On Linux, Chrome runs in a process group of its own, so that a Ctrl-C at
// the terminal reaches clilogin only, which closes Chrome gracefully; and
// the kernel kills it (Pdeathsig) if clilogin is killed. When the browser
// has exited, whatever is left of its group is killed.
type ProcGroup struct{ cmd *exec.Cmd }

// Prepare sets up the browser's command before it starts.
func (g *ProcGroup) Prepare(cmd *exec.Cmd) {
	g.cmd = cmd
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// End kills the rest of the browser's process group. It is called after the
// allocator has been cancelled, when chromedp has waited for the browser.
func (g *ProcGroup) End() {
	if g.cmd != nil && g.cmd.Process != nil {
		_ = syscall.Kill(-g.cmd.Process.Pid, syscall.SIGKILL)
	}
}
