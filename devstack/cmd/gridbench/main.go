// Command gridbench measures many logins at once through the browser grids
// CI shares browsers through: 8 logins of 8 users through a Selenium Grid 4
// with 2 slots and through browserless with 2 concurrent sessions, against
// the same 8 run locally one after another and all at once; then through a
// Grid hub with two nodes, showing on which node each login ran. It prints
// a table on stdout, progress on stderr, and writes the figures as JSON.
//
// Run it from the devstack directory (make bench does):
//
//	go run ./cmd/gridbench -clilogin ../bin/clilogin -json ../bench/results/grids.json
//
// It exits 1 when a login failed, 0 otherwise, whether the target is met
// or not.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/clilogin/clilogin/devstack"
)

func main() { os.Exit(run()) }

const users = 8

type scenario struct {
	Name        string         `json:"name"`
	Logins      int            `json:"logins"`
	WallSeconds float64        `json:"wall_seconds"`
	PerMinute   float64        `json:"logins_per_minute"`
	VsParallel  float64        `json:"vs_local_parallel,omitempty"`
	Nodes       map[string]int `json:"logins_per_node,omitempty"`
	Error       string         `json:"error,omitempty"`
}

func run() int {
	cli := flag.String("clilogin", "../bin/clilogin", "the clilogin binary")
	out := flag.String("json", "", "write the figures as JSON to this file")
	modules := flag.String("modules", devstack.GridsDir, "testdata/grids's node_modules")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := os.Stderr

	var us []devstack.User
	for i := range users {
		us = append(us, devstack.User{Username: fmt.Sprintf("user%d", i), Email: fmt.Sprintf("user%d@example.com", i), Password: fmt.Sprintf("password-%d-x", i)})
	}
	stack, err := devstack.Start(ctx, devstack.Config{Users: us})
	if err != nil {
		fmt.Fprintln(log, "gridbench: devstack:", err)
		return 1
	}
	defer stack.Close()
	root, err := os.MkdirTemp("", "clilogin-gridbench-")
	if err != nil {
		fmt.Fprintln(log, "gridbench:", err)
		return 1
	}
	defer os.RemoveAll(root)

	b := &bench{cli: *cli, stack: stack, users: us, root: root}
	var results []scenario
	failed := false
	add := func(s scenario, err error) {
		if err != nil {
			s.Error = err.Error()
			failed = true
		}
		fmt.Fprintf(log, "gridbench: %s: %.1fs %s\n", s.Name, s.WallSeconds, s.Error)
		results = append(results, s)
	}

	add(b.logins(ctx, "local, one after another", false, nil))
	add(b.logins(ctx, "local, all 8 at once", true, nil))

	gctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	grid, err := devstack.StartGrid(gctx, devstack.GridConfig{Modules: *modules, Slots: 2, Log: io.Discard})
	cancel()
	if err != nil {
		add(scenario{Name: "Selenium Grid, 2 slots"}, err)
	} else {
		add(b.logins(ctx, "Selenium Grid, 2 slots", true, func(int) []string { return []string{"--remote-browser", grid.URL} }))
		grid.Close()
	}

	gctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	bl, err := devstack.StartBrowserless(gctx, *modules, 2, io.Discard)
	cancel()
	if err != nil {
		add(scenario{Name: "browserless, 2 concurrent"}, err)
	} else {
		ws := "ws://" + strings.TrimPrefix(bl.URL, "http://") + "?token=" + bl.Token
		add(b.logins(ctx, "browserless, 2 concurrent", true, func(int) []string { return []string{"--remote-browser", ws} }))
		bl.Close()
	}

	gctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	hub, err := devstack.StartGrid(gctx, devstack.GridConfig{Modules: *modules, Slots: 2, Nodes: 2, Log: io.Discard})
	cancel()
	if err != nil {
		add(scenario{Name: "Selenium Grid hub, 2 nodes x 2 slots"}, err)
	} else {
		watch := watchNodes(ctx, hub)
		s, err := b.logins(ctx, "Selenium Grid hub, 2 nodes x 2 slots", true, func(int) []string { return []string{"--remote-browser", hub.URL} })
		s.Nodes = watch.stop(b.sessions())
		if err == nil && len(s.Nodes) < 2 {
			err = fmt.Errorf("the logins ran on %d node(s), not both: %v", len(s.Nodes), s.Nodes)
		}
		add(s, err)
		hub.Close()
	}

	var par float64
	for _, s := range results {
		if s.Name == "local, all 8 at once" && s.Error == "" {
			par = s.WallSeconds
		}
	}
	fmt.Printf("%-40s %8s %8s %10s  %s\n", "8 logins of 8 users", "wall", "/minute", "vs local‖", "")
	for i := range results {
		s := &results[i]
		if par > 0 && s.Error == "" {
			s.VsParallel = s.WallSeconds / par
		}
		extra := ""
		if s.Nodes != nil {
			extra = fmt.Sprintf("per node: %v", s.Nodes)
		}
		if s.Error != "" {
			extra = "FAILED: " + firstLine(s.Error)
		}
		fmt.Printf("%-40s %7.1fs %8.1f %9.2fx  %s\n", s.Name, s.WallSeconds, s.PerMinute, s.VsParallel, extra)
	}
	fmt.Println("target: through a grid, no more than 1.5x the local parallel time")
	if *out != "" {
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err == nil {
			data, _ := json.MarshalIndent(results, "", "  ")
			os.WriteFile(*out, append(data, '\n'), 0o644)
		}
	}
	if failed {
		return 1
	}
	return 0
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

type bench struct {
	cli   string
	stack *devstack.Stack
	users []devstack.User
	root  string
	n     int

	mu       sync.Mutex
	lastRuns []string // the -v output of the last scenario's runs
}

var sessionRE = regexp.MustCompile(`WebDriver session ([0-9a-f]+) deleted`)

// sessions are the WebDriver sessions the last scenario's logins deleted.
func (b *bench) sessions() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ids []string
	for _, r := range b.lastRuns {
		if m := sessionRE.FindStringSubmatch(r); m != nil {
			ids = append(ids, m[1])
		}
	}
	return ids
}

// logins runs the 8 users' cold logins, each with its own HOME (config,
// cache, profile), in parallel or one after another, and times the whole.
func (b *bench) logins(ctx context.Context, name string, parallel bool, extra func(i int) []string) (scenario, error) {
	s := scenario{Name: name, Logins: len(b.users)}
	b.mu.Lock()
	b.lastRuns = nil
	b.mu.Unlock()
	b.n++
	errs := make([]error, len(b.users))
	one := func(i int) {
		u := b.users[i]
		home := filepath.Join(b.root, fmt.Sprintf("s%d-u%d", b.n, i))
		tmp := filepath.Join(home, "tmp")
		if err := os.MkdirAll(tmp, 0o700); err != nil {
			errs[i] = err
			return
		}
		args := []string{"login", "-b", b.stack.BackendURL, "--headless", "--username", u.Email, "--timeout", "180s", "-v"}
		if extra != nil {
			args = append(args, extra(i)...)
		}
		rctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(rctx, b.cli, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + tmp,
			"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
			"CLILOGIN_PASSWORD=" + u.Password}
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
		cmd.WaitDelay = 10 * time.Second
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		b.mu.Lock()
		b.lastRuns = append(b.lastRuns, stderr.String())
		b.mu.Unlock()
		if err == nil && !strings.Contains(stdout.String(), "as "+u.Email) {
			err = errors.New("logged in as someone else")
		}
		if err != nil {
			errs[i] = fmt.Errorf("user%d: %w\n%s", i, err, stderr.String())
		}
	}
	start := time.Now()
	if parallel {
		var wg sync.WaitGroup
		for i := range b.users {
			wg.Add(1)
			go func() { defer wg.Done(); one(i) }()
		}
		wg.Wait()
	} else {
		for i := range b.users {
			one(i)
		}
	}
	took := time.Since(start)
	s.WallSeconds = took.Seconds()
	s.PerMinute = float64(len(b.users)) / took.Minutes()
	return s, errors.Join(errs...)
}

// nodeWatch records on which node each Grid session runs, from /status.
type nodeWatch struct {
	mu     sync.Mutex
	seen   map[string]string
	cancel context.CancelFunc
	done   chan struct{}
}

func watchNodes(ctx context.Context, g *devstack.Grid) *nodeWatch {
	ctx, cancel := context.WithCancel(ctx)
	w := &nodeWatch{seen: map[string]string{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for ctx.Err() == nil {
			if st, err := g.Status(ctx); err == nil {
				w.mu.Lock()
				for id, node := range st.Sessions() {
					w.seen[id] = node
				}
				w.mu.Unlock()
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return w
}

// stop counts the logins (their sessions) per node.
func (w *nodeWatch) stop(sessions []string) map[string]int {
	w.cancel()
	<-w.done
	per := map[string]int{}
	for _, id := range sessions {
		node := w.seen[id]
		if node == "" {
			node = "unseen"
		}
		per[node]++
	}
	return per
}
