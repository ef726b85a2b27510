//go:build !linux && !darwin && !windows

package chrome

import "os/exec"

// ProcGroup does nothing special on this system: the browser exits when its
// DevTools pipe closes.
type ProcGroup struct{}

func (g *ProcGroup) Prepare(*exec.Cmd) {}
func (g *ProcGroup) End()              {}
