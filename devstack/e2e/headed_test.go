package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
)

// startXvfb starts a virtual display and returns its DISPLAY value.
func startXvfb(t *testing.T) string {
	t.Helper()
	need(t, "Xvfb", "Xvfb")
	for n := 90 + os.Getpid()%100; n < 400; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue // taken
		}
		display := ":" + strconv.Itoa(n)
		cmd := exec.Command("Xvfb", display, "-screen", "0", "1280x900x24", "-nolisten", "tcp")
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting Xvfb: %v", err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
				return display
			}
		}
		t.Fatalf("Xvfb %s did not start", display)
	}
	t.Fatal("no free X display number")
	return ""
}

// A person signs in in the headed app window: the test finds the window
// through a DevTools port, clicks into the fields and types with real input
// events, and clilogin prints the identity and closes the window. The
// window is an app window: no tab strip and no address bar above the page.
func TestLoginHeadedAppWindowUnderXvfb(t *testing.T) {
	need(t, "Chromium", browserPaths["chromium"])
	display := startXvfb(t)
	profile := filepath.Join(t.TempDir(), "profile")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliBin, "login", "--backend", stack.BackendURL, "--profile", profile,
		"--timeout", "50s", "--browser-arg=--remote-debugging-port=0")
	home := t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "DISPLAY=" + display, "TMPDIR=" + t.TempDir()}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(done) }()

	// Chrome writes its DevTools port into the profile.
	port := devToolsPort(t, profile, done)
	resp, err := http.Get("http://127.0.0.1:" + port + "/json/list")
	if err != nil {
		t.Fatal(err)
	}
	var targets []struct{ ID, Type, URL string }
	err = json.NewDecoder(resp.Body).Decode(&targets)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var pages []string
	for _, ti := range targets {
		if ti.Type == "page" {
			pages = append(pages, ti.ID)
		}
	}
	if len(pages) != 1 {
		t.Fatalf("want one page (the app window), got %+v", targets)
	}
	actx, acancel := remote.NewAllocator(ctx, "http://127.0.0.1:"+port)
	defer acancel()
	tab, tcancel := chromedp.NewContext(actx, chromedp.WithTargetID(target.ID(pages[0])))
	defer tcancel()

	// The person: wait for the IdP's form, click the fields, type, press Enter.
	if err := chromedp.Do(tab,
		chromedp.WaitVisible(chromedp.CSS("input[type=password]")),
	); err != nil {
		t.Fatalf("the sign-in form did not show: %v\n%s", err, stderr.String())
	}
	chrome, err := chromedp.Run(tab, chromedp.Evaluate[int](`window.outerHeight - window.innerHeight`))
	if err != nil {
		t.Fatal(err)
	}
	if chrome > 40 {
		t.Errorf("%dpx of browser UI above the page: not an app window (a tabbed window has ~80px)", chrome)
	}
	shot, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	if err != nil || len(shot) < 1000 {
		t.Errorf("screenshot of the app window: %v (%d bytes)", err, len(shot))
	} else {
		_ = os.WriteFile(filepath.Join(t.TempDir(), "app-window.png"), shot, 0o600)
	}
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS("input[name=login]")),
		chromedp.SendKeys(chromedp.CSS("input[name=login]"), "alice@example.com"),
		chromedp.Click(chromedp.CSS("input[type=password]")),
		chromedp.SendKeys(chromedp.CSS("input[type=password]"), password+"\r"),
	); err != nil {
		t.Fatalf("typing: %v\n%s", err, stderr.String())
	}

	select {
	case <-done:
		if exitErr != nil {
			t.Fatalf("clilogin: %v\nstdout: %s\nstderr: %s", exitErr, stdout.String(), stderr.String())
		}
	case <-ctx.Done():
		t.Fatalf("clilogin did not finish after the sign-in\n%s", stderr.String())
	}
	if want := "logged in to " + stack.BackendURL + " as alice@example.com\n"; stdout.String() != want {
		t.Errorf("stdout = %q, want %q", stdout.String(), want)
	}
	wantContains(t, "stderr", stderr.String(), "opening a browser window to sign in to "+stack.BackendURL)
	noBrowserLeft(t, profile, nil)
	passwordManagerStayedOff(t, profile)
}

// passwordManagerStayedOff checks, after a typed sign-in, that Chrome kept
// its password manager off in the profile (no "Save password?" bubble over
// the page) and saved no login for the user.
func passwordManagerStayedOff(t *testing.T, profile string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(profile, "Default", "Preferences"))
	if err != nil {
		t.Fatal(err)
	}
	var prefs struct {
		Credentials *bool `json:"credentials_enable_service"`
		Profile     struct {
			PasswordManager *bool `json:"password_manager_enabled"`
		} `json:"profile"`
	}
	if err := json.Unmarshal(b, &prefs); err != nil {
		t.Fatalf("Chrome's Preferences: %v", err)
	}
	if prefs.Credentials == nil || *prefs.Credentials || prefs.Profile.PasswordManager == nil || *prefs.Profile.PasswordManager {
		t.Errorf("Chrome's password manager is on in the profile after the login: credentials_enable_service=%v password_manager_enabled=%v",
			prefs.Credentials, prefs.Profile.PasswordManager)
	}
	// The logins table keeps user names in clear text.
	if db, err := os.ReadFile(filepath.Join(profile, "Default", "Login Data")); err == nil && bytes.Contains(db, []byte("alice@example.com")) {
		t.Error("the profile's Login Data holds a saved login for alice@example.com")
	}
}
