package browser

import (
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/cookies"
)

func TestFromCDPTellsDomainCookiesFromHostOnlyCookies(t *testing.T) {
	tests := []struct {
		name         string
		domain       string
		wantDomain   string
		wantHostOnly bool
	}{
		{"leading dot is a domain cookie", ".example.com", "example.com", false},
		{"no leading dot is host-only", "example.com", "example.com", true},
		{"host-only subdomain", "app.example.com", "app.example.com", true},
		{"host-only IP address", "127.0.0.1", "127.0.0.1", true},
		{"host-only localhost", "localhost", "localhost", true},
		{"only one leading dot is removed", "..example.com", ".example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cookiesFromCDP([]*network.Cookie{{Name: "sid", Value: "v", Domain: tt.domain, Path: "/"}})
			if len(got) != 1 {
				t.Fatalf("FromCDP returned %d cookies, want 1", len(got))
			}
			if got[0].Domain != tt.wantDomain || got[0].HostOnly != tt.wantHostOnly {
				t.Errorf("cookiesFromCDP(domain %q) = Domain %q, HostOnly %v; want %q, %v",
					tt.domain, got[0].Domain, got[0].HostOnly, tt.wantDomain, tt.wantHostOnly)
			}
		})
	}
}

func TestFromCDPReadsExpiryAndSessionCookies(t *testing.T) {
	tests := []struct {
		name    string
		expires float64
		session bool
		want    time.Time
	}{
		{"expires -1 is a session cookie", -1, false, time.Time{}},
		{"Session true wins over an expiry", 1893456000, true, time.Time{}},
		{"expires 0 is a session cookie", 0, false, time.Time{}},
		{"NaN expiry is a session cookie", math.NaN(), false, time.Time{}},
		{"whole seconds", 1893456000, false, time.Unix(1893456000, 0).UTC()},
		{"fractional seconds keep their milliseconds", 1893456000.25, false, time.Unix(1893456000, 250_000_000).UTC()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cookiesFromCDP([]*network.Cookie{{Name: "a", Value: "b", Domain: "example.com", Expires: tt.expires, Session: tt.session}})
			if len(got) != 1 {
				t.Fatalf("FromCDP returned %d cookies, want 1", len(got))
			}
			if !got[0].Expires.Equal(tt.want) || got[0].Expires.IsZero() != tt.want.IsZero() {
				t.Errorf("Expires = %v, want %v", got[0].Expires, tt.want)
			}
			if !got[0].Expires.IsZero() && got[0].Expires.Location() != time.UTC {
				t.Errorf("Expires location = %v, want UTC", got[0].Expires.Location())
			}
		})
	}
}

func TestFromCDPKeepsAttributesSkipsNilAndDefaultsPath(t *testing.T) {
	in := []*network.Cookie{
		nil,
		{Name: "sid", Value: "s3cr3t", Domain: ".example.com", Path: "/api", Secure: true, HTTPOnly: true, SameSite: network.CookieSameSiteStrict, Expires: -1, Session: true},
		nil,
		{Name: "pref", Value: "dark", Domain: "app.example.com", SameSite: network.CookieSameSiteLax, Expires: -1},
	}
	got := cookiesFromCDP(in)
	want := []cookies.Cookie{
		{Name: "sid", Value: "s3cr3t", Domain: "example.com", Path: "/api", Secure: true, HTTPOnly: true, SameSite: "Strict"},
		{Name: "pref", Value: "dark", Domain: "app.example.com", HostOnly: true, Path: "/", SameSite: "Lax"},
	}
	if len(got) != len(want) {
		t.Fatalf("FromCDP returned %d cookies, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cookie %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := cookiesFromCDP(nil); got == nil || len(got) != 0 {
		t.Errorf("cookiesFromCDP(nil) = %#v, want an empty, non-nil slice", got)
	}
}

// FuzzFromCDP checks that any cookie Chrome could report converts without
// panicking, keeps its scope, and that a host-only cookie is never sent to
// another host.
func FuzzFromCDP(f *testing.F) {
	f.Add("sid", "abc", ".example.com", "/", 1893456000.5, false, true, true, "Lax")
	f.Add("sid", "abc", "example.com", "", -1.0, true, false, false, "")
	f.Add("", "", "", "", 0.0, false, false, false, "None")
	f.Add("a", "b c;d", ".", "/x", math.Inf(1), false, true, false, "Strict")
	f.Add("a", "\"q\"", "..x", "api", 1e300, false, false, true, "bogus")
	f.Add("a", "b", "127.0.0.1", "/", 0.999999999, false, false, false, "Lax")
	f.Fuzz(func(t *testing.T, name, value, domain, path string, expires float64, session, secure, httpOnly bool, sameSite string) {
		in := &network.Cookie{Name: name, Value: value, Domain: domain, Path: path, Expires: expires,
			Session: session, Secure: secure, HTTPOnly: httpOnly, SameSite: network.CookieSameSite(sameSite)}
		out := cookiesFromCDP([]*network.Cookie{nil, in})
		if len(out) != 1 {
			t.Fatalf("FromCDP returned %d cookies, want 1", len(out))
		}
		c := out[0]
		if c.HostOnly != !strings.HasPrefix(domain, ".") {
			t.Errorf("domain %q: HostOnly = %v", domain, c.HostOnly)
		}
		if c.Domain != strings.TrimPrefix(domain, ".") {
			t.Errorf("domain %q: Domain = %q", domain, c.Domain)
		}
		if c.Name != name || c.Value != value || c.Secure != secure || c.HTTPOnly != httpOnly || c.SameSite != sameSite {
			t.Errorf("attributes changed: %+v", c)
		}
		if c.Path == "" || (path != "" && c.Path != path) {
			t.Errorf("path %q: Path = %q", path, c.Path)
		}
		if (session || !(expires > 0)) && !c.Expires.IsZero() {
			t.Errorf("session %v, expires %v: Expires = %v, want a session cookie", session, expires, c.Expires)
		}
		if !session && expires > 0 && expires < 1<<40 {
			want := time.Unix(int64(expires), 0)
			if d := c.Expires.Sub(want); d < 0 || d > time.Second {
				t.Errorf("expires %v: Expires = %v, want within a second after %v", expires, c.Expires, want)
			}
		}
		// The expectation comes from Chrome's report, not from the code
		// under test: the cookie's own host, and for a domain cookie (a
		// leading dot) its subdomains too, but never a host that merely ends
		// like it.
		host := strings.TrimPrefix(domain, ".")
		for h, want := range map[string]bool{host: true, "sub." + host: strings.HasPrefix(domain, "."), "x" + host: false} {
			if got := c.MatchesHost(h); got != want {
				t.Errorf("%+v.MatchesHost(%q) = %v, want %v", c, h, got, want)
			}
		}
		if c.HostOnly && c.Domain != "" {
			sub := &url.URL{Scheme: "https", Host: "sub." + c.Domain, Path: "/"}
			if cookies.Header([]cookies.Cookie{c}, sub, time.Unix(0, 0)) != "" {
				t.Errorf("host-only cookie %+v was sent to %s", c, sub)
			}
		}
		target := &url.URL{Scheme: "https", Host: "clilogin-fuzz.invalid", Path: "/"}
		d := strings.ToLower(host)
		mayGo := d == target.Hostname() || strings.HasPrefix(domain, ".") && strings.HasSuffix(target.Hostname(), "."+d)
		if cookies.Header([]cookies.Cookie{c}, target, time.Unix(0, 0)) != "" && !mayGo {
			t.Errorf("cookies.Header(%s) sent %+v", target, c)
		}
	})
}

func TestSetByOriginKeepsTheCookiesOfTheOriginsPort(t *testing.T) {
	in := []*network.Cookie{
		{Name: "backend", SourcePort: 8080}, {Name: "idp", SourcePort: 9090}, {Name: "unknown", SourcePort: -1}, nil,
		{Name: "https-default", SourcePort: 443},
	}
	names := func(cs []*network.Cookie) (out []string) {
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	if got := names(setByOrigin(in, backend.MustParse("http://127.0.0.1:8080/app"), nil, nil)); strings.Join(got, ",") != "backend,unknown" {
		t.Errorf("setByOrigin(:8080) = %q", got)
	}
	if got := names(setByOrigin(in, backend.MustParse("https://api.example.com"), nil, nil)); strings.Join(got, ",") != "unknown,https-default" {
		t.Errorf("setByOrigin(https) = %q", got)
	}
}

// A cookie of the IdP's session restored into the browser for a warm login
// is set for its host with the scheme's default port, so when the backend
// is at that port on the same host (https://example.com, the IdP at
// https://example.com:8443), Chrome reports it as set by the backend's
// port. It is still the IdP's; so is a parent-domain cookie of the IdP's
// session that the browser sends to both (SiteMinder's SMSESSION), as in a
// cold login: a cookie belongs to the host that set it.
func TestSetByOriginLeavesTheRestoredIdPSessionOut(t *testing.T) {
	in := []*network.Cookie{
		{Name: "idp_session", Value: "idp-1", Domain: "example.com", Path: "/", SourcePort: 443},
		{Name: "session", Value: "backend-1", Domain: "example.com", Path: "/", SourcePort: 443},
		{Name: "SMSESSION", Value: "sm-1", Domain: ".example.com", Path: "/", SourcePort: 443},
		{Name: "idp_session", Value: "idp-2", Domain: "example.com", Path: "/", SourcePort: 443}, // set anew
	}
	restored := []cookies.Cookie{
		{Name: "idp_session", Value: "idp-1", Domain: "example.com", HostOnly: true, Path: "/"},
		{Name: "SMSESSION", Value: "sm-1", Domain: "example.com", Path: "/"},
	}
	var got []string
	for _, c := range setByOrigin(in, backend.MustParse("https://example.com"), restored, nil) {
		got = append(got, c.Name+"="+c.Value)
	}
	if want := "session=backend-1,idp_session=idp-2"; strings.Join(got, ",") != want {
		t.Errorf("setByOrigin = %q, want %s", got, want)
	}
}

// The backend's own Set-Cookie is the backend's however --backend spells
// its origin: Chrome shows https://api.example.com:443 as
// https://api.example.com, and that response's cookies are not another
// host's.
func TestElsewhereKnowsTheBackendWithItsDefaultPort(t *testing.T) {
	var cs cookieSetters
	cs.response("1", &network.Response{URL: "https://api.example.com/callback"})
	cs.headers("1", network.Headers{"Set-Cookie": "session=backend-1; Path=/"})
	cs.response("2", &network.Response{URL: "https://idp.example.com/login"})
	cs.headers("2", network.Headers{"Set-Cookie": "idp=idp-1; Path=/"})
	var got []string
	for _, c := range cs.elsewhere(backend.MustParse("https://api.example.com:443"), time.Now()) {
		got = append(got, c.Name)
	}
	if strings.Join(got, ",") != "idp" {
		t.Errorf("set elsewhere: %q, want the IdP's alone", got)
	}
}
