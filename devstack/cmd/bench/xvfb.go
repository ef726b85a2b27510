package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// xvfb is a virtual display this benchmark started.
type xvfb struct {
	display string
	cmd     *exec.Cmd
	exited  chan struct{}
}

// startXvfb starts Xvfb on a free display number. A missing Xvfb is a skip.
func startXvfb(ctx context.Context) (*xvfb, error) {
	bin, err := exec.LookPath("Xvfb")
	if err != nil {
		return nil, skipError{"Xvfb is not installed (apt-get install xvfb)"}
	}
	for n := 90 + os.Getpid()%100; n < 400; n++ {
		if displayTaken(n) {
			continue
		}
		x, taken, err := tryXvfb(ctx, bin, n)
		if !taken {
			return x, err
		}
	}
	return nil, errors.New("xvfb: no free display number")
}

func displayTaken(n int) bool {
	for _, f := range []string{"/tmp/.X11-unix/X" + strconv.Itoa(n), "/tmp/.X" + strconv.Itoa(n) + "-lock"} {
		if _, err := os.Stat(f); err == nil {
			return true
		}
	}
	return false
}

// tryXvfb starts Xvfb on :n and waits for its socket. An Xvfb that exits
// at once lost the display to another one: taken.
func tryXvfb(ctx context.Context, bin string, n int) (x *xvfb, taken bool, err error) {
	display := ":" + strconv.Itoa(n)
	cmd := exec.Command(bin, display, "-screen", "0", "1280x900x24", "-nolisten", "tcp")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with the benchmark
	if err := cmd.Start(); err != nil {
		return nil, false, fmt.Errorf("xvfb: start: %w", err)
	}
	x = &xvfb{display: display, cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(x.exited)
	}()
	socket := "/tmp/.X11-unix/X" + strconv.Itoa(n)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if _, err := os.Stat(socket); err == nil {
			return x, false, nil
		}
		select {
		case <-x.exited:
			return nil, true, nil
		case <-ctx.Done():
			x.stop()
			return nil, false, fmt.Errorf("xvfb: interrupted: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	x.stop()
	return nil, false, fmt.Errorf("xvfb: %s did not start in 10s", display)
}

// stop ends Xvfb with SIGTERM, so that it removes its socket and lock
// file, and waits for it to exit; SIGKILL after 5s.
func (x *xvfb) stop() {
	_ = x.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-x.exited:
	case <-time.After(5 * time.Second):
		_ = x.cmd.Process.Kill()
		<-x.exited
	}
}
