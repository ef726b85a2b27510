package cookies

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

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
