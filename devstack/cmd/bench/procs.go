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

// Sampling and clean-up of a browser's processes. The browser process names
// its profile directory on its command line (--user-data-dir); the headless
// shell's children (zygotes, renderer, GPU, network service) do not, so the
// tree is the processes that mention the profile and their descendants.
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
	var found []proc
	for _, pid := range pids() {
		if pid == skip {
			continue
		}
		if cmd, ok := cmdline(pid); ok && strings.Contains(cmd, s) {
			found = append(found, proc{pid, cmd})
		}
	}
	return found
}

// pids lists the running processes.
func pids() []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := make([]int, 0, len(entries))
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// cmdline is a process's command line, arguments separated by spaces; not
// ok when the process is gone or a zombie.
func cmdline(pid int) (string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return "", false
	}
	return string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})), true
}

// stat is what /proc/PID/stat says of a process.
type stat struct {
	ppid   int
	state  string
	starts string // start time since boot, in clock ticks: tells a reused pid
}

func readStat(pid int) (stat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, false
	}
	s := string(b)
	// pid (comm) state ppid ... starttime is field 22; comm may hold spaces.
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 > len(s) {
		return stat{}, false
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 20 {
		return stat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	return stat{ppid: ppid, state: f[0], starts: f[19]}, true
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

// tree follows one browser's processes. Each pid is classified once, when
// it is first seen, so that a sample reads the command lines of new
// processes only; but a child of the process that starts the browser may
// still be between fork and exec, so it is looked at again until it is in.
type tree struct {
	marker string
	skip   int            // the clilogin process: its command line names the profile too
	self   int            // this benchmark, which starts the browser of the floors
	known  map[int]bool   // pid: in the tree
	starts map[int]string // the tree's pids: their start times
}

func newTree(marker string, skip int) *tree {
	return &tree{marker: marker, skip: skip, self: os.Getpid(), known: map[int]bool{}, starts: map[int]string{}}
}

// update classifies the new processes and returns the tree's live pids.
// /proc lists pids in ascending order, so a parent is usually seen before
// its child.
func (t *tree) update() []int {
	var live []int
	for _, pid := range pids() {
		in, seen := t.known[pid]
		if !seen {
			in = t.classify(pid)
		}
		if in {
			live = append(live, pid)
		}
	}
	return live
}

// classify decides whether pid is in the tree and remembers it, except
// for a child of a launcher that is not in (yet).
func (t *tree) classify(pid int) bool {
	st, ok := readStat(pid)
	if pid == t.skip || !ok {
		t.known[pid] = false
		return false
	}
	in := t.known[st.ppid]
	if !in {
		cmd, ok := cmdline(pid)
		in = ok && strings.Contains(cmd, t.marker)
	}
	switch {
	case in:
		t.starts[pid] = st.starts
		t.known[pid] = true
	case st.ppid != t.skip && st.ppid != t.self:
		t.known[pid] = false
	}
	return in
}

// alive lists the tree's processes that still run (zombies do not).
func (t *tree) alive() []proc {
	var out []proc
	for pid, starts := range t.starts {
		st, ok := readStat(pid)
		if !ok || st.starts != starts || st.state == "Z" {
			continue
		}
		cmd, _ := cmdline(pid)
		out = append(out, proc{pid, cmd})
	}
	return out
}

// pss sums the PSS of the tree's live processes.
func (t *tree) pss() int64 {
	var sum int64
	for _, pid := range t.update() {
		sum += pssKB(pid)
	}
	return sum
}

// sampler follows a browser's process tree every sampleInterval, so that
// none of its processes escapes the leftover check, and keeps the peak of
// its PSS when asked to.
type sampler struct {
	tree    *tree
	withPSS bool
	quit    chan struct{}
	peak    chan int64
}

// startSampler follows the processes that mention marker, but skip, and
// their descendants; withPSS samples their PSS too. Only following costs
// little: new processes' command lines. Sampling the PSS costs some
// milliseconds of CPU per sample (reading smaps_rollup walks the page
// tables of every browser process), which would slow a browser being timed.
func startSampler(marker string, skip int, withPSS bool) *sampler {
	s := &sampler{tree: newTree(marker, skip), withPSS: withPSS, quit: make(chan struct{}), peak: make(chan int64, 1)}
	go s.loop()
	return s
}

func (s *sampler) loop() {
	tick := time.NewTicker(sampleInterval)
	defer tick.Stop()
	var peak int64 = -1
	for {
		if s.withPSS {
			peak = max(peak, s.tree.pss())
		} else {
			s.tree.update()
		}
		select {
		case <-s.quit:
			s.peak <- peak
			return
		case <-tick.C:
		}
	}
}

// stop ends the sampling and returns the peak PSS in kB, -1 without PSS.
func (s *sampler) stop() int64 {
	close(s.quit)
	return <-s.peak
}

// noneLeft waits up to leftoverWait for the processes that mention dir,
// and those of the tree (nil for none), to end. Those still running then
// are killed (they are this benchmark's) and reported.
func noneLeft(dir string, t *tree) error {
	deadline := time.Now().Add(leftoverWait)
	for {
		left := mentioning(dir, 0)
		if t != nil {
			left = append(left, t.alive()...)
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return killLeft(left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func killLeft(left []proc) error {
	var names []string
	for _, p := range left {
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
		names = append(names, fmt.Sprintf("%d: %.120s", p.pid, p.cmdline))
	}
	return fmt.Errorf("processes left behind after %s (killed): %s", leftoverWait, strings.Join(names, "; "))
}
