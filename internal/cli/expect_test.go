package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/cookies"
)

// --expect-identity holds on every path a token can come from: the cache,
// the cached cookies, the replayed IdP session and the browser. Each path
// asks whoami, and an identity other than the expected one is exit 4
// naming both.
func TestExpectIdentityOnEveryPath(t *testing.T) {
	t0 := time.Now().UTC() // decideApp puts the command's deadline on this clock
	for _, tt := range []struct {
		path        source
		wantWhoamis int32 // whoami requests of the checked command
	}{
		{fromCache, 1},
		{fromCookies, 2}, // the cookies' identity is refused, then the browser's
		{fromReplay, 1},
		{fromBrowser, 1},
	} {
		for _, expect := range []string{"alice@example.com", "nobody@example.com"} {
			t.Run(string(tt.path)+" "+expect, func(t *testing.T) {
				now := t0
				clock := func() time.Time { return now }
				b := newDecideBackend(t, clock, time.Hour)
				fb := &fakeBrowser{session: "good"}
				fr := &fakeReplay{session: "replayed"}
				dir := t.TempDir()
				if tt.path != fromBrowser {
					a := decideApp(t, dir, b, fb, clock, "login")
					if err := runLogin(context.Background(), a); err != nil {
						t.Fatal(err)
					}
				}
				switch tt.path {
				case fromCookies:
					now = now.Add(2 * time.Hour) // the token expired; the cookies work
				case fromReplay:
					a := decideApp(t, dir, b, fb, clock, "login")
					e := a.load()
					e.IdPSession = []cookies.Cookie{{Name: "idp", Value: "alive", Domain: "idp.example", HostOnly: true, Path: "/"}}
					e.Token = ""
					a.save(e)
					b.valid.Store("replayed") // the backend forgot the browser's session
				}
				before := b.whoamis.Load()
				a := decideApp(t, dir, b, fb, clock, "token", "--expect-identity", expect)
				a.replayLogin = fr.run
				var out, errb bytes.Buffer
				a.stdio = IO{Out: &out, Err: &errb}
				code := report(runToken(context.Background(), a), a.o, a.stdio, nil)
				if got := b.whoamis.Load() - before; got != tt.wantWhoamis && !(expect == "alice@example.com" && tt.path == fromCookies && got == 1) {
					t.Errorf("whoami asked %d times, want %d", got, tt.wantWhoamis)
				}
				if expect == "alice@example.com" {
					if code != ExitOK || out.Len() == 0 {
						t.Errorf("exit %d, stdout %q, want the token\n%s", code, out.String(), errb.String())
					}
					return
				}
				if code != ExitRefused {
					t.Errorf("exit %d, want %d\nstdout %q\n%s", code, ExitRefused, out.String(), errb.String())
				}
				if out.Len() != 0 {
					t.Errorf("printed %q with another identity than expected", out.String())
				}
				if !strings.Contains(errb.String(), "alice@example.com") || !strings.Contains(errb.String(), "nobody@example.com") {
					t.Errorf("the error does not name both identities:\n%s", errb.String())
				}
			})
		}
	}
}
