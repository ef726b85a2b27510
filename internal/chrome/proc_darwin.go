package chrome

import (
	"os/exec"
	"syscall"
)

// ProcGroup makes the browser's processes end with clilogin.
//
// On macOS, Chrome runs in a process group of its own, so that a Ctrl-C at
// the terminal reaches clilogin only, which closes Chrome gracefully. macOS
// has no Pdeathsig: clilogin ends the group itself on every way out of a
// login (success, failure, timeout, signal), after the graceful close. If
// clilogin is killed outright, Chrome sees its DevTools pipe close and
// exits.
type ProcGroup struct{ cmd *exec.Cmd }

// Prepare sets up the browser's command before it starts.
func (g *ProcGroup) Prepare(cmd *exec.Cmd) {
	g.cmd = cmd
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// End kills what is left of the browser's process group (helpers that
// outlived the main process). It is called after the allocator has been
// cancelled, when chromedp has waited for the browser.
func (g *ProcGroup) End() {
	if g.cmd != nil && g.cmd.Process != nil {
		_ = syscall.Kill(-g.cmd.Process.Pid, syscall.SIGKILL)
	}
}
