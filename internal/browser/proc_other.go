//go:build !linux && !darwin && !windows

package browser

import "os/exec"

// procGroup does nothing special on this system: the browser exits when its
// DevTools pipe closes.
type procGroup struct{}

func (g *procGroup) prepare(*exec.Cmd) {}
func (g *procGroup) end()              {}
