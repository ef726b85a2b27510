package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The cold login with a consent step, on the Node stack (testdata/nodestack:
// oidc-provider's sign-in page, then its consent page), beside its floor:
// the browser's start and close with the same pages walked by a plain CDP
// script that waits for nothing but the next field or button (a
// MutationObserver in the page says when it is there).

// nodeStack is a running testdata/nodestack.
type nodeStack struct {
	Backend  string `json:"backend"`
	Username string `json:"username"`
	Password string `json:"password"`
	Email    string `json:"email"`
	cmd      *exec.Cmd
}

// nodeStackDir is testdata/nodestack, from the devstack directory.
const nodeStackDir = "../testdata/nodestack"

// node starts the Node stack once per bench; closeNode stops it.
func (b *bench) node(ctx context.Context) (*nodeStack, error) {
	if b.ns != nil {
		return b.ns, nil
	}
	if _, err := exec.LookPath("node"); err != nil {
		return nil, skipError{"no node (scripts/deps.sh test installs it)"}
	}
	dir, err := filepath.Abs(nodeStackDir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		return nil, skipError{"testdata/nodestack has no node_modules (make testdata/nodestack/node_modules/.package-lock.json)"}
	}
	cmd := exec.Command("node", "stack.js")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the node stack: %w", err)
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	ns := &nodeStack{cmd: cmd}
	select {
	case l := <-line:
		if err := json.Unmarshal([]byte(l), ns); err != nil || ns.Backend == "" {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, fmt.Errorf("the node stack said %q: %v", l, err)
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, errors.New("the node stack did not start in 20s")
	case <-ctx.Done():
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("interrupted: %w", ctx.Err())
	}
	fmt.Fprintf(b.log, "bench:   node stack: backend %s\n", ns.Backend)
	b.ns = ns
	return ns, nil
}

func (b *bench) closeNode() {
	if b.ns != nil {
		b.ns.cmd.Process.Signal(os.Interrupt)
		b.ns.cmd.Wait()
		b.ns = nil
	}
}

// consentLogins: cold logins (a fresh profile and HOME each run) through
// oidc-provider's sign-in and consent pages.
func (b *bench) consentLogins(ctx context.Context, br browser) ([]sample, error) {
	ns, err := b.node(ctx)
	if err != nil {
		return nil, err
	}
	return b.repeat(ctx, b.opts.n, paired(func(ctx context.Context, pss bool) (sample, error) {
		d, err := b.dir("consent")
		if err != nil {
			return sample{}, err
		}
		defer os.RemoveAll(d)
		profile := filepath.Join(d, "profile")
		o, err := b.clilogin(ctx, invocation{dir: d, profile: profile, pss: pss, env: []string{"CLILOGIN_PASSWORD=" + ns.Password},
			args: []string{"login", "--backend", ns.Backend, "--browser", br.path, "--profile", profile, "--timeout", cliTimeout,
				"--headless", "--username", ns.Username}})
		if err != nil {
			return sample{}, err
		}
		if want := "as " + ns.Email; !strings.Contains(o.stdout, want) {
			return sample{}, fmt.Errorf("clilogin login printed %q, want %q in it", o.stdout, want)
		}
		return o.sample, nil
	}))
}

// consentWalks: the floor of consentLogins.
func (b *bench) consentWalks(ctx context.Context, br browser) ([]sample, error) {
	ns, err := b.node(ctx)
	if err != nil {
		return nil, err
	}
	creds, _ := json.Marshal([]string{ns.Username, ns.Password})
	// One step per call: the sign-in form, the consent page, then the
	// backend's "ok". A flag on the window keeps a page from being acted
	// on twice (a new document has none).
	js := `((c) => {
  const q = (s) => document.querySelector(s);
  if (window.walked) return "";
  if (q("#password") && q("#signin-submit")) {
    window.walked = true;
    q("#username").value = c[0]; q("#password").value = c[1]; q("#signin-submit").click(); return "form";
  }
  if (q("#consent-allow")) { window.walked = true; q("#consent-allow").click(); return "consent"; }
  if (location.pathname === "/callback" && document.body && document.body.innerText.trim() === "ok") return "done";
  return "";
})(` + string(creds) + `)`
	return b.repeat(ctx, b.opts.n, func(ctx context.Context) (sample, error) {
		return b.cdpWalk(ctx, br, ns.Backend+"/login", js)
	})
}

// cdpWalk starts the browser, opens start and evaluates step in the page
// (an expression: a step's name once done, "" while there is nothing to
// do) until it says "done", then closes the browser gracefully, as clilogin
// does; it times all of it.
func (b *bench) cdpWalk(ctx context.Context, br browser, start, step string) (sample, error) {
	d, err := b.dir("walk")
	if err != nil {
		return sample{}, err
	}
	defer os.RemoveAll(d)
	profile := filepath.Join(d, "profile")
	actx, acancel := context.WithTimeout(ctx, runTimeout)
	defer acancel()
	actx, acancelAlloc := chromedp.NewExecAllocator(actx, bareOptions(br.path, profile)...)
	defer acancelAlloc()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	t0 := time.Now()
	if err := chromedp.Do(bctx); err != nil {
		return sample{}, fmt.Errorf("start %s: %w", br.path, err)
	}
	if _, err := chromedp.Call(bctx, cdppage.Navigate, cdppage.NavigateParams{URL: start}); err != nil {
		return sample{}, fmt.Errorf("open %s: %w", start, err)
	}
	// Each step is awaited in the page: tried at once and on every change
	// of the DOM, no clock. A new document ends the evaluation (its
	// context is gone); the step is then asked of the new one.
	await := `new Promise((resolve) => {
  const attempt = () => { const r = ` + step + `; if (r) { seen.disconnect(); resolve(r); } };
  const seen = new MutationObserver(attempt);
  seen.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  attempt();
})`
	for {
		if err := actx.Err(); err != nil {
			return sample{}, fmt.Errorf("the walk did not finish: %w", err)
		}
		if got, err := chromedp.Run(bctx, chromedp.Evaluate[string](await, chromedp.EvalAwaitPromise)); err == nil && got == "done" {
			break
		}
	}
	cctx, cancel := context.WithTimeout(bctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Cancel(cctx); err != nil {
		return sample{}, fmt.Errorf("close: %w", err)
	}
	took := time.Since(t0)
	acancelAlloc()
	return sample{took: took, peakKB: -1}, noneLeft(d, nil)
}
