package cookies

import (
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
)

var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

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
			got := FromCDP([]*network.Cookie{{Name: "sid", Value: "v", Domain: tt.domain, Path: "/"}})
			if len(got) != 1 {
				t.Fatalf("FromCDP returned %d cookies, want 1", len(got))
			}
			if got[0].Domain != tt.wantDomain || got[0].HostOnly != tt.wantHostOnly {
				t.Errorf("FromCDP(domain %q) = Domain %q, HostOnly %v; want %q, %v",
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
			got := FromCDP([]*network.Cookie{{Name: "a", Value: "b", Domain: "example.com", Expires: tt.expires, Session: tt.session}})
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
	got := FromCDP(in)
	want := []Cookie{
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
	if got := FromCDP(nil); got == nil || len(got) != 0 {
		t.Errorf("FromCDP(nil) = %#v, want an empty, non-nil slice", got)
	}
}

func TestMatchesHostScopesHostOnlyAndDomainCookies(t *testing.T) {
	hostOnly := Cookie{Name: "a", Domain: "example.com", HostOnly: true}
	domain := Cookie{Name: "a", Domain: "example.com"}
	tests := []struct {
		name   string
		cookie Cookie
		host   string
		want   bool
	}{
		{"host-only to its host", hostOnly, "example.com", true},
		{"host-only to its host in other case", hostOnly, "EXAMPLE.com", true},
		{"host-only not to a subdomain", hostOnly, "app.example.com", false},
		{"host-only not to another host", hostOnly, "example.org", false},
		{"domain to its host", domain, "example.com", true},
		{"domain to a subdomain", domain, "app.example.com", true},
		{"domain to a deep subdomain", domain, "a.b.example.com", true},
		{"domain to a subdomain in other case", Cookie{Domain: "Example.COM"}, "app.example.com", true},
		{"domain not to a host that merely ends like it", domain, "badexample.com", false},
		{"domain not to its parent", Cookie{Domain: "app.example.com"}, "example.com", false},
		{"domain not to a sibling", Cookie{Domain: "app.example.com"}, "api.example.com", false},
		{"IP host-only cookie not to localhost", Cookie{Domain: "127.0.0.1", HostOnly: true}, "localhost", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cookie.MatchesHost(tt.host); got != tt.want {
				t.Errorf("%+v.MatchesHost(%q) = %v, want %v", tt.cookie, tt.host, got, tt.want)
			}
		})
	}
}

func TestExpiredOnlyForAnExpiryAtOrBeforeNow(t *testing.T) {
	tests := []struct {
		name    string
		expires time.Time
		want    bool
	}{
		{"session cookie never expires", time.Time{}, false},
		{"expiry in the future", testNow.Add(time.Second), false},
		{"expiry exactly now", testNow, true},
		{"expiry in the past", testNow.Add(-time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Cookie{Expires: tt.expires}).Expired(testNow); got != tt.want {
				t.Errorf("Expired = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestForHostKeepsOnlyUnexpiredCookiesForTheHost(t *testing.T) {
	cs := []Cookie{
		{Name: "host", Domain: "app.example.com", HostOnly: true},
		{Name: "parent", Domain: "example.com"},
		{Name: "parent-host-only", Domain: "example.com", HostOnly: true},
		{Name: "other", Domain: "example.org"},
		{Name: "expired", Domain: "app.example.com", HostOnly: true, Expires: testNow.Add(-time.Minute)},
		{Name: "fresh", Domain: "app.example.com", HostOnly: true, Expires: testNow.Add(time.Minute)},
	}
	got := ForHost(cs, "app.example.com", testNow)
	var names []string
	for _, c := range got {
		names = append(names, c.Name)
	}
	if want := "host,parent,fresh"; strings.Join(names, ",") != want {
		t.Errorf("ForHost names = %q, want %q", strings.Join(names, ","), want)
	}
	if got := ForHost(cs, "nowhere.test", testNow); len(got) != 0 {
		t.Errorf("ForHost(nowhere.test) = %+v, want none", got)
	}
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestHeaderSendsCookiesOnlyWhereTheBrowserWould(t *testing.T) {
	cs := []Cookie{
		{Name: "host", Value: "h1", Domain: "app.example.com", HostOnly: true, Path: "/"},
		{Name: "dom", Value: "d1", Domain: "app.example.com", Path: "/"},
		{Name: "parent", Value: "p1", Domain: "example.com", Path: "/"},
		{Name: "other", Value: "o1", Domain: "example.org", Path: "/"},
		{Name: "expired", Value: "e1", Domain: "app.example.com", HostOnly: true, Path: "/", Expires: time.Now().Add(-time.Hour)},
		{Name: "scoped", Value: "s1", Domain: "app.example.com", HostOnly: true, Path: "/api"},
	}
	tests := []struct {
		url  string
		want []string // name=value that must be sent
		not  []string // names that must not be sent
	}{
		{"https://app.example.com/api/token", []string{"host=h1", "dom=d1", "parent=p1", "scoped=s1"}, []string{"other", "expired"}},
		{"https://app.example.com/", []string{"host=h1", "dom=d1", "parent=p1"}, []string{"scoped", "other", "expired"}},
		// A host-only cookie stays host-only: not sent to a subdomain.
		{"https://x.app.example.com/api/token", []string{"dom=d1", "parent=p1"}, []string{"host", "scoped", "other", "expired"}},
		// A domain cookie of the parent keeps its browser scope (siblings);
		// the cookies of the target host itself do not go there.
		{"https://api.example.com/", []string{"parent=p1"}, []string{"host", "dom", "other", "scoped", "expired"}},
		// A path is matched at a "/" boundary only.
		{"https://app.example.com/apiary", []string{"host=h1"}, []string{"scoped"}},
		{"https://example.org/", []string{"other=o1"}, []string{"host", "dom", "parent", "scoped", "expired"}},
		{"https://example.net/", nil, []string{"host", "dom", "parent", "other", "scoped", "expired"}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got := strings.ReplaceAll(Header(cs, mustURL(t, tt.url), time.Now()), "; ", ";")
			for _, w := range tt.want {
				if !strings.Contains(";"+got+";", ";"+w+";") {
					t.Errorf("cookies for %s = %q, missing %q", tt.url, got, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(";"+got, ";"+n+"=") {
					t.Errorf("cookies for %s = %q, must not contain %q", tt.url, got, n)
				}
			}
		})
	}
}

func TestHeaderSendsSecureCookiesOverHTTPSOrToLoopbackOnly(t *testing.T) {
	cs := []Cookie{{Name: "sid", Value: "v", Domain: "127.0.0.1", HostOnly: true, Path: "/", Secure: true},
		{Name: "sid", Value: "w", Domain: "api.example.com", HostOnly: true, Path: "/", Secure: true},
		{Name: "sid", Value: "x", Domain: "nowhere.localhost", HostOnly: true, Path: "/", Secure: true}}
	for url, want := range map[string]string{
		"http://127.0.0.1:8080/token": "sid=v", // loopback counts as secure, as in browsers
		// a *.localhost name that does not resolve to loopback is not
		// loopback: Go's client would send the cookie wherever DNS says
		"http://nowhere.localhost:8080/token": "",
		"http://api.example.com/":             "",
		"https://api.example.com/":            "sid=w",
	} {
		if got := Header(cs, mustURL(t, url), time.Now()); got != want {
			t.Errorf("Header(%s) = %q, want %q", url, got, want)
		}
	}
}

func TestHeaderKeepsValuesAsTheBrowserSendsThem(t *testing.T) {
	cs := []Cookie{{Name: "prefs", Value: `{"a":1}`, Domain: "x.test", HostOnly: true, Path: "/"},
		{Name: "name", Value: "é€", Domain: "x.test", HostOnly: true, Path: "/"}}
	if got, want := Header(cs, mustURL(t, "https://x.test/"), time.Now()), `prefs={"a":1}; name=é€`; got != want {
		t.Errorf("Header = %q, want %q", got, want)
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
		out := FromCDP([]*network.Cookie{nil, in})
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
			if Header([]Cookie{c}, sub, time.Unix(0, 0)) != "" {
				t.Errorf("host-only cookie %+v was sent to %s", c, sub)
			}
		}
		target := &url.URL{Scheme: "https", Host: "clilogin-fuzz.invalid", Path: "/"}
		d := strings.ToLower(host)
		mayGo := d == target.Hostname() || strings.HasPrefix(domain, ".") && strings.HasSuffix(target.Hostname(), "."+d)
		if Header([]Cookie{c}, target, time.Unix(0, 0)) != "" && !mayGo {
			t.Errorf("Header(%s) sent %+v", target, c)
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
	if got := names(SetByOrigin(in, mustURL(t, "http://127.0.0.1:8080/app"))); strings.Join(got, ",") != "backend,unknown" {
		t.Errorf("SetByOrigin(:8080) = %q", got)
	}
	if got := names(SetByOrigin(in, mustURL(t, "https://api.example.com"))); strings.Join(got, ",") != "unknown,https-default" {
		t.Errorf("SetByOrigin(https) = %q", got)
	}
}
