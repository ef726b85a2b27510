package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Sampling and clean-up of the browser's processes, found by their command
// line: every Chrome process of a run mentions the run's profile directory.
const (
	sampleInterval = 20 * time.Millisecond
	leftoverWait   = 3 * time.Second // how long a closing browser may linger
)

// proc is a running process.
type proc struct {
	pid     int
	cmdline string
}

// mentioning lists the processes but skip whose command line contains s.
func mentioning(s string, skip int) []proc {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	needle := []byte(s)
	var found []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == skip {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || len(b) == 0 { // gone, or a zombie
			continue
		}
		if bytes.Contains(b, needle) {
			found = append(found, proc{pid, string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))})
		}
	}
	return found
}

// pssKB is a process's proportional set size in kB, 0 when it is gone.
func pssKB(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Pss:"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb
			}
		}
	}
	return 0
}

// treePSS sums the PSS of the processes but skip that mention marker.
func treePSS(marker string, skip int) int64 {
	var sum int64
	for _, p := range mentioning(marker, skip) {
		sum += pssKB(p.pid)
	}
	return sum
}

// sampler keeps the peak of treePSS, sampled every sampleInterval.
type sampler struct {
	quit chan struct{}
	peak chan int64
}

// startSampler samples the processes that mention marker, but skip (the
// clilogin process itself, whose command line names the profile too).
func startSampler(marker string, skip int) *sampler {
	s := &sampler{quit: make(chan struct{}), peak: make(chan int64, 1)}
	go func() {
		tick := time.NewTicker(sampleInterval)
		defer tick.Stop()
		var peak int64
		for {
			peak = max(peak, treePSS(marker, skip))
			select {
			case <-s.quit:
				s.peak <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the peak in kB.
func (s *sampler) stop() int64 {
	close(s.quit)
	return <-s.peak
}

// noneLeft waits up to leftoverWait for the processes that mention dir to
// end. Those still running then are killed (they are this benchmark's) and
// reported.
func noneLeft(dir string) error {
	deadline := time.Now().Add(leftoverWait)
	for {
		left := mentioning(dir, 0)
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			var names []string
			for _, p := range left {
				_ = syscall.Kill(p.pid, syscall.SIGKILL)
				names = append(names, fmt.Sprintf("%d: %.120s", p.pid, p.cmdline))
			}
			return fmt.Errorf("processes left behind after %s (killed): %s", leftoverWait, strings.Join(names, "; "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
