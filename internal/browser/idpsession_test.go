package browser

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"

	"github.com/clilogin/clilogin/internal/cookies"
)

// The IdP's session restored into Chrome is what was stored: each cookie's
// name, value, host-only or domain scope, path, Secure, HttpOnly, SameSite
// and expiry (a session cookie stays one), read back from the browser.
func TestRestoreSessionPutsBackEachCookieAsStored(t *testing.T) {
	needBrowser(t)
	exp := time.Now().Add(24 * time.Hour).Truncate(time.Second).UTC()
	stored := []cookies.Cookie{
		{Name: "sid", Value: "host-only-session", Domain: "localhost", HostOnly: true, Path: "/", HTTPOnly: true, SameSite: "Lax"},
		{Name: "remember", Value: "domain-cookie", Domain: "idp.test", Path: "/auth", Secure: true, Expires: exp, SameSite: "None"},
		{Name: "csrf", Value: "secure-host-only", Domain: "login.idp.test", HostOnly: true, Path: "/", Secure: true, SameSite: "Strict", Expires: exp},
	}
	actx, cancel := remote.NewAllocator(context.Background(), devtools)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithNewBrowserContext()) // its own cookie jar, disposed of
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 20*time.Second)
	defer cancelT()
	var log strings.Builder
	s := &loginRun{cfg: Config{IdPSession: stored, Logf: func(f string, a ...any) { fmt.Fprintf(&log, f+"\n", a...) }}}
	s.restoreSession(ctx)
	if !strings.Contains(log.String(), "restored 3 cookies") {
		t.Fatalf("log: %s", log.String())
	}
	got, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{BrowserContextID: chromedp.FromContext(ctx).BrowserContextID})
	if err != nil {
		t.Fatal(err)
	}
	back := cookiesFromCDP(got.Cookies)
	key := func(c cookies.Cookie) string { return c.Name }
	slices.SortFunc(back, func(a, b cookies.Cookie) int { return strings.Compare(key(a), key(b)) })
	want := slices.Clone(stored)
	slices.SortFunc(want, func(a, b cookies.Cookie) int { return strings.Compare(key(a), key(b)) })
	if len(back) != len(want) {
		t.Fatalf("read back %d cookies, want %d: %+v", len(back), len(want), back)
	}
	for i := range want {
		b := back[i]
		if !b.Expires.IsZero() {
			b.Expires = b.Expires.Truncate(time.Second)
		}
		if b != want[i] {
			t.Errorf("restored\n  %+v\nwant\n  %+v", b, want[i])
		}
	}
}
