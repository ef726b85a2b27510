package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/cache"
	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/failure"
)

// A cache lock that cannot be taken (its file is a symbolic link, which is
// not followed) costs a warning, not the login.
func TestObtainRunsWithoutALockItCannotTake(t *testing.T) {
	b := newDecideBackend(t, time.Now, time.Hour)
	fb := &fakeBrowser{session: "good"}
	dir := t.TempDir()
	a := decideApp(t, dir, b, fb, time.Now, "token")
	if err := os.MkdirAll(a.store.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("keep"), 0o600)
	if err := os.Symlink(victim, filepath.Join(a.store.Dir, a.name+".lock")); err != nil {
		t.Fatal(err)
	}
	src, err := runDecided(context.Background(), a)
	if err != nil || src != fromBrowser {
		t.Fatalf("token beside a lock it cannot take: %v, from %q; want a browser login", err, src)
	}
	if errs := a.stdio.Err.(*bytes.Buffer).String(); !strings.Contains(errs, "clilogin: warning: running without the cache lock") {
		t.Errorf("no warning: %q", errs)
	}
	if got, _ := os.ReadFile(victim); string(got) != "keep" {
		t.Errorf("the link's target now holds %q", got)
	}
	if e := a.load(); e.Token == "" {
		t.Error("the login was not cached")
	}
}

// A backend that answers a token that has already expired breaks the
// contract (exit 5): it is refused, not cached, not printed.
func TestObtainRefusesAStaleToken(t *testing.T) {
	b := newDecideBackend(t, time.Now, -time.Hour)
	fb := &fakeBrowser{session: "good"}
	dir := t.TempDir()
	a := decideApp(t, dir, b, fb, time.Now, "token")
	_, err := runDecided(context.Background(), a)
	if failure.KindOf(err) != failure.Unreachable || !strings.Contains(err.Error(), "answered a token that expired at") {
		t.Fatalf("err = %v (%v), want the stale token refused as the backend's fault", err, failure.KindOf(err))
	}
	if out := a.stdio.Out.(*bytes.Buffer).String(); strings.Contains(out, "eyJ") {
		t.Errorf("the stale token was printed: %.20q", out)
	}
	if e := a.load(); e.Token != "" {
		t.Error("the stale token was cached")
	}
}

// A cached token with a character a token cannot have (a cache file
// written by another program) is not printed: a new one is fetched with
// the cached cookies.
func TestObtainDropsANonPrintableCachedToken(t *testing.T) {
	b := newDecideBackend(t, time.Now, time.Hour)
	fb := &fakeBrowser{session: "good"}
	dir := t.TempDir()
	a := decideApp(t, dir, b, fb, time.Now, "token")
	bad := "tok\x1b]0;owned\x07en"
	a.save(cache.Entry{Token: bad, TokenExpiresAt: time.Now().Add(time.Hour),
		Cookies: []cookies.Cookie{{Name: "session", Value: "good", Domain: "127.0.0.1", HostOnly: true, Path: "/"}}})
	src, err := runDecided(context.Background(), a)
	if err != nil || src != fromCookies {
		t.Fatalf("token with a non-printable cached token: %v, from %q; want a new token through the cookies", err, src)
	}
	if out := a.stdio.Out.(*bytes.Buffer).String(); strings.Contains(out, "\x1b") || strings.Contains(out, "owned") {
		t.Errorf("the cached token reached the output: %q", out)
	}
	if fb.logins.Load() != 0 || b.tokens.Load() != 1 {
		t.Errorf("%d browser logins, %d token answers; want 0 and 1", fb.logins.Load(), b.tokens.Load())
	}
}
