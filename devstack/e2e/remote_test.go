package e2e

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
)

// clilogin logs in in a tab of a Chrome that is already running (started
// here with a DevTools port on loopback), in a browser context of its own:
// it closes its tab and disposes of the context, so that no cookie of the
// login stays in the browser; the browser keeps running. The cookies are
// read where the login kept them: its own context (told by the event of its
// tab's creation) and the default one.
func TestLoginWithRemoteBrowser(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	dir := t.TempDir()
	exited, _ := startChrome(t, dir, "--remote-debugging-port=0")
	endpoint := "http://127.0.0.1:" + devToolsPort(t, dir, exited)

	actx, cancel := remote.NewAllocator(context.Background(), endpoint)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	before, err := chromedp.CallBrowser(ctx, target.GetBrowserContexts, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := chromedp.CallBrowser(ctx, target.GetTargets, target.GetTargetsParams{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages.TargetInfos { // the default context's ID
		before.BrowserContextIDs = append(before.BrowserContextIDs, p.BrowserContextID)
	}
	var mu sync.Mutex
	logins := map[cdp.BrowserContextID]bool{}
	chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*target.EventTargetCreated); ok && e.TargetInfo.BrowserContextID != "" && e.TargetInfo.Type == "page" {
			mu.Lock()
			logins[e.TargetInfo.BrowserContextID] = true
			mu.Unlock()
		}
	})
	if _, err := chromedp.CallBrowser(ctx, target.SetDiscoverTargets, target.SetDiscoverTargetsParams{Discover: true}); err != nil {
		t.Fatal(err)
	}

	r := clilogin(t, run{args: []string{"login", "-b", stack.BackendURL, "--remote-browser", endpoint,
		"--username", "alice@example.com", "--timeout", "30s"}, env: []string{"CLILOGIN_PASSWORD=" + password}})
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "as alice@example.com")
	select {
	case <-exited:
		t.Fatal("the remote browser exited")
	default:
	}
	resp, err := http.Get(endpoint + "/json/list")
	if err != nil {
		t.Fatalf("the remote browser was closed: %v", err)
	}
	defer resp.Body.Close()
	list, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(list), stack.BackendURL) {
		t.Errorf("the login tab is still open:\n%s", list)
	}

	mu.Lock()
	ids := []cdp.BrowserContextID{""} // the default context
	for id := range logins {
		if !slices.Contains(before.BrowserContextIDs, id) {
			ids = append(ids, id)
		}
	}
	mu.Unlock()
	if len(ids) != 2 {
		t.Errorf("the login opened its tab in %d browser contexts of its own, want 1", len(ids)-1)
	}
	for _, id := range ids {
		cookies, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{BrowserContextID: id})
		if err != nil && id != "" {
			continue // disposed of, with its cookies
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cookies.Cookies {
			t.Errorf("the remote browser kept a cookie of the login in context %q: %s of %s", id, c.Name, c.Domain)
		}
	}
	contexts, err := chromedp.CallBrowser(ctx, target.GetBrowserContexts, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range contexts.BrowserContextIDs {
		if !slices.Contains(before.BrowserContextIDs, id) {
			t.Errorf("the login's browser context %s is left in the remote browser", id)
		}
	}
}

// The leftover-browser check sees a browser on a profile outside HOME and
// TMPDIR, through the --profile of the command line: it can fail.
func TestNoBrowserLeftSeesABrowserOnAnyProfile(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	profile := t.TempDir() // neither the run's HOME nor its TMPDIR
	_, stop := startChrome(t, profile)
	for deadline := time.Now().Add(10 * time.Second); len(processesMentioning(profile)) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the browser did not start")
		}
	}
	args := []string{"login", "-b", stack.BackendURL, "--profile", profile}
	var rec recorded
	for _, dir := range append([]string{t.TempDir(), t.TempDir()}, profilesIn(args)...) {
		noBrowserLeft(&rec, dir, nil)
	}
	if len(rec.errors) == 0 {
		t.Error("the check did not see the browser left on the profile")
	}
	stop()
	var after recorded
	noBrowserLeft(&after, profile, nil)
	if len(after.errors) != 0 {
		t.Errorf("the check reports a browser that is gone: %q", after.errors)
	}
	if got := profilesIn([]string{"login", "--profile=/a", "--profile", "/b", "--", "--profile", "/c"}); strings.Join(got, ",") != "/a,/b" {
		t.Errorf("profilesIn = %q", got)
	}
}

// startChrome starts a bare headless shell on profile, as someone else's
// browser: exited is closed when it has exited; stop kills it and waits
// (it also runs at the end of the test).
func startChrome(t *testing.T, profile string, extra ...string) (exited <-chan struct{}, stop func()) {
	t.Helper()
	args := append([]string{"--headless", "--no-sandbox", "--user-data-dir=" + profile, "--disable-background-networking",
		"--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"}, extra...)
	chrome := exec.Command(browserPaths["shell"], append(args, "about:blank")...)
	chrome.Stdout, chrome.Stderr = io.Discard, io.Discard
	if err := chrome.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { chrome.Wait(); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { chrome.Process.Kill(); <-done }) }
	t.Cleanup(stop)
	return done, stop
}

type recorded struct{ errors []string }

func (r *recorded) Helper() {}
func (r *recorded) Errorf(format string, args ...any) {
	r.errors = append(r.errors, format)
}
