package browser

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
)

// anyJWT is any JWT-shaped string, whoever issued it.
var anyJWT = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)

// The screenshot shows the live page as it is after maskLivePage: its DOM,
// read as the page has it (not through redactHTML, which masks the saved
// HTML again), holds no secret and no JWT, in text, attributes, input
// values typed by a script, or the title.
func TestSavePageMasksTheLivePageBeforeTheScreenshot(t *testing.T) {
	needBrowser(t)
	const (
		jwt      = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLW9mLXRoZS10ZXN0"
		cookie   = "cookie-value-7f3a9c"
		password = "correct horse"
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><title>Signed in %[1]s</title>
<p>Your token: <code>%[1]s</code></p><p>Session: %[2]s</p>
<input id=attr value="%[2]s"><input id=typed><textarea>%[1]s</textarea>
<a href="/api?t=%[1]s" data-note="password %[3]s">api</a>
<script>document.getElementById("typed").value = "typed %[3]s";</script>`, jwt, cookie, password)
	}))
	defer srv.Close()
	actx, cancel := remote.NewAllocator(context.Background(), devtools)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 20*time.Second)
	defer cancelT()
	if _, err := chromedp.Run(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	// what the page shows, as it has it: markup, live input values, title
	const live = `document.documentElement.outerHTML + "\n" +
	  Array.from(document.querySelectorAll("input, textarea")).map(e => e.value).join("\n") + "\n" + document.title`
	before, err := chromedp.Run(ctx, chromedp.Evaluate[string](live))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(before, jwt) || !strings.Contains(before, cookie) || !strings.Contains(before, "typed "+password) {
		t.Fatalf("the page does not show the secrets to mask:\n%s", before)
	}
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	prefix := filepath.Join(dir, "a-")
	for _, err := range savePage(ctx, root, "a-", []string{password, cookie}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if png, err := os.ReadFile(prefix + "screenshot.png"); err != nil || len(png) == 0 {
		t.Fatalf("no screenshot: %v", err)
	}
	after, err := chromedp.Run(ctx, chromedp.Evaluate[string](live))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{cookie, password} {
		if strings.Contains(after, s) {
			t.Errorf("the live page shows %q after masking:\n%s", s, after)
		}
	}
	if m := anyJWT.FindString(after); m != "" {
		t.Errorf("the live page shows a JWT after masking: %s", m)
	}
	if !strings.Contains(after, "Your token: <code>REDACTED</code>") {
		t.Errorf("the page's text was not masked in place:\n%s", after)
	}
}
