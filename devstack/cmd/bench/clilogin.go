package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/clilogin/clilogin/devstack"
)

// invocation is one run of clilogin in a clean environment.
type invocation struct {
	args []string
	// dir holds the run's HOME (dir/home: clilogin's config and cache) and
	// TMPDIR (dir/tmp). No process may mention it after the run.
	dir      string
	profile  string   // the browser profile whose processes are followed; "" for none
	pss      bool     // sample the PSS of the profile's processes
	display  string   // DISPLAY; "" for none (clilogin is then headless)
	password bool     // CLILOGIN_PASSWORD is the demo user's
	env      []string // more of the environment
}

// outcome is a finished run.
type outcome struct {
	stdout, stderr string
	sample
}

// environ is the run's whole environment: nothing is inherited but PATH,
// so that e.g. CI=true cannot make a headed run headless.
func (inv invocation) environ() ([]string, error) {
	home, tmp := filepath.Join(inv.dir, "home"), filepath.Join(inv.dir, "tmp")
	for _, d := range []string{home, tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("run dir: %w", err)
		}
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"TMPDIR=" + tmp,
	}
	if inv.display != "" {
		env = append(env, "DISPLAY="+inv.display)
	}
	if inv.password {
		env = append(env, "CLILOGIN_PASSWORD="+devstack.DemoUser.Password)
	}
	return append(env, inv.env...), nil
}

// clilogin runs the binary, times the whole process, follows its browser's
// processes (sampling their PSS if asked), and checks that it left no
// process behind. A non-zero exit is an error.
func (b *bench) clilogin(ctx context.Context, inv invocation) (outcome, error) {
	env, err := inv.environ()
	if err != nil {
		return outcome{}, err
	}
	rctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, b.opts.cli, inv.args...)
	cmd.Env = env
	// Stopped as by Ctrl-C: clilogin closes its browser gracefully.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return outcome{}, fmt.Errorf("start clilogin: %w", err)
	}
	var s *sampler
	if inv.profile != "" {
		s = startSampler(inv.profile, cmd.Process.Pid, inv.pss)
	}
	werr := cmd.Wait()
	o := outcome{stdout: stdout.String(), stderr: stderr.String(), sample: sample{took: time.Since(start), peakKB: -1}}
	var t *tree
	if s != nil {
		o.peakKB, t = s.stop(), s.tree
	}
	left := noneLeft(inv.dir, t)
	if werr != nil {
		return o, fmt.Errorf("clilogin %s failed after %s: %w; its stderr:\n%s",
			strings.Join(inv.args, " "), formatDuration(o.took), werr, indent(o.stderr))
	}
	return o, left
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "    (empty)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
