package browser

import (
	"context"
	"encoding/json"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/marker"
	"github.com/clilogin/clilogin/internal/pagemodel"
)

var updateProbes = flag.Bool("update-probes", false, "rewrite internal/pagemodel/testdata/probes from the saved pages")

// probeDir holds the page model's recorded probes: what probe.js answers on
// each saved IdP page of testdata/forms, in Chrome. The page model's tests
// (internal/pagemodel) decide on them without a browser.
const probeDir = "../pagemodel/testdata/probes"

// recordedPages are the saved pages whose probes the page model's tests use:
// name, page, and an error the IdP shows on it ("" for none), as the test
// IdP of forms_test.go shows it after a refused POST.
var recordedPages = []struct{ name, page, err string }{
	{"lemonldap-portal", "lemonldap-portal.html", ""},
	{"lemonldap-portal-wrong-password", "lemonldap-portal.html", `<p class="error" role="alert">Wrong password.</p>`},
	{"lemonldap-expired", "lemonldap-expired.html", ""},
	{"notice", "notice.html", ""},
	{"notice-wrong-password", "notice.html", `<p class="error" role="alert">Wrong password.</p>`},
	{"okta-identifier", "okta-identifier.html", ""},
	{"okta-identifier-unknown-user", "okta-identifier.html", `<div class="o-form-error-container" role="alert">Unable to sign in: unknown user</div>`},
	{"okta-password", "okta-password.html", ""},
	{"google-identifier", "google-identifier.html", ""},
	{"google-password", "google-password.html", ""},
	{"one-page", "one-page.html", ""},
	{"spa", "spa.html", ""},
	{"spa-steps", "spa-steps.html", ""},
	{"otp", "otp.html", ""},
	{"otp-invalid-code", "otp.html", `<div role="alert">Invalid code.</div>`},
	{"red-error", "red-error.html", ""},
	{"unsupported", "unsupported.html", ""},
	{"device", "device.html", ""},
	{"choice", "choice.html", ""},
	{"consent", "consent.html", ""},
	{"scopes", "scopes.html", ""},
	{"continue", "continue.html", ""},
	{"stay-signed-in", "stay-signed-in.html", ""},
	{"stuck", "stuck.html", ""},
}

// TestRecordedProbesAreTheSavedPages probes each saved page in Chrome and
// compares what the page model decides on with the recorded probe
// (-update-probes rewrites them).
func TestRecordedProbesAreTheSavedPages(t *testing.T) {
	needBrowser(t)
	for _, rp := range recordedPages {
		t.Run(rp.name, func(t *testing.T) {
			f := newFlow(t, rp.page)
			f.idp.shows = rp.err
			got := normalProbe(recordProbe(t, f, f.idp.base+"/"+rp.page), f.idp.base, rp.name)
			file := filepath.Join(probeDir, rp.name+".json")
			if *updateProbes {
				b, _ := json.MarshalIndent(got, "", "  ")
				if err := os.MkdirAll(probeDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (go test -run TestRecordedProbes ./internal/browser/ -update-probes records it)", err)
			}
			var want pagemodel.Probe
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if g, w := decisionView(got), decisionView(want); !reflect.DeepEqual(g, w) {
				t.Errorf("the probe of %s is not the recorded one (-update-probes records it again):\ngot  %+v\nwant %+v", rp.page, g, w)
			}
		})
	}
}

// recordProbe opens raw in a new tab of the test browser, with the settle
// watcher the login installs, and answers the probe once the page has
// settled (or after a few seconds for a page that never does).
func recordProbe(t *testing.T, f *flow, raw string) pagemodel.Probe {
	t.Helper()
	u, _ := url.Parse(f.backend)
	ctx := context.Background()
	c := withDefaults(Config{Remote: devtools, Headless: true, Backend: &backend.Backend{URL: u}, LoginPath: "/login",
		Marker: marker.Marker{Kind: "text", Value: "ok"}, Deadline: time.Now().Add(20 * time.Second)})
	s, err := newLoginRun(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if err := s.start(ctx); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.nav.frame = cdp.FrameID(chromedp.FromContext(s.bctx).Target.TargetID)
	s.mu.Unlock()
	if err := s.installWatcher(s.bctx); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(s.bctx, page.Navigate, page.NavigateParams{URL: raw}); err != nil {
		t.Fatal(err)
	}
	enough := time.NewTimer(3 * time.Second)
	defer enough.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var last pagemodel.Probe
	for {
		if p, err := s.run(s.bctx, nil); err == nil {
			last = p
			if p.Ready == "complete" && p.Settle != nil && p.Settle.Calm && p.Blank == 0 && s.requestsDone(p.Settle.Gen) {
				return p
			}
		}
		select {
		case <-enough.C:
			if last.Href == "" {
				t.Fatalf("no probe of %s", raw)
			}
			return last
		case <-s.wake:
		case <-tick.C:
		}
	}
}

// normalProbe makes a probe a fixture: the test IdP's address is
// https://idp.example, and the document is named by the fixture.
func normalProbe(p pagemodel.Probe, base, name string) pagemodel.Probe {
	fix := func(s string) string { return strings.ReplaceAll(s, base, "https://idp.example") }
	p.Href, p.Text, p.Doc = fix(p.Href), fix(p.Text), name
	for i := range p.Posts {
		p.Posts[i] = fix(p.Posts[i])
	}
	if p.Settle != nil {
		p.Settle.Changes, p.Settle.Gen = 0, 0
	}
	return p
}

// decisionView is what the page model decides on in a probe.
func decisionView(p pagemodel.Probe) any {
	return []any{p.Href, p.Ready, p.Title, p.Kind, p.Users, p.Number, p.Options, p.Heading, p.FP, p.Control, p.Errors, p.Posts, p.Blank, p.Settle != nil}
}
