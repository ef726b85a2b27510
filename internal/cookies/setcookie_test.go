package cookies

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestFromResponseStoresAsABrowserDoes(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	u, _ := url.Parse("https://login.example.com/auth/start?x=1")
	resp := &http.Response{Header: http.Header{"Set-Cookie": {
		"host=1; Path=/; HttpOnly; Secure; SameSite=Lax",
		"nopath=2",
		"dom=3; Domain=.example.com; Max-Age=60",
		"other=4; Domain=evil.example.org",
		"suffix=5; Domain=com",
		"gone=; Max-Age=0",
		"old=6; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
	}}}
	got := map[string]Cookie{}
	for _, c := range FromResponse(resp, u, now) {
		got[c.Name] = c
	}
	if c := got["host"]; c.Domain != "login.example.com" || !c.HostOnly || c.Path != "/" || !c.Secure || !c.HTTPOnly || c.SameSite != "Lax" || !c.Expires.IsZero() {
		t.Errorf("host = %+v", c)
	}
	if c := got["nopath"]; c.Path != "/auth" {
		t.Errorf("nopath path = %q, want the default path /auth", c.Path)
	}
	if c := got["dom"]; c.Domain != "example.com" || c.HostOnly || !c.Expires.Equal(now.Add(time.Minute)) {
		t.Errorf("dom = %+v", c)
	}
	for _, name := range []string{"other", "suffix"} {
		if _, ok := got[name]; ok {
			t.Errorf("%s: a cookie for a domain the host does not match was kept", name)
		}
	}
	for _, name := range []string{"gone", "old"} {
		if c, ok := got[name]; !ok || !c.Expired(now) {
			t.Errorf("%s = %+v, want an expired cookie (a deletion)", name, c)
		}
	}
}

func TestMergeReplacesAndDeletes(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	jar := []Cookie{
		{Name: "s", Value: "old", Domain: "idp.example", HostOnly: true, Path: "/"},
		{Name: "s", Value: "other-path", Domain: "idp.example", HostOnly: true, Path: "/x"},
		{Name: "k", Value: "keep", Domain: "idp.example", HostOnly: true, Path: "/"},
	}
	got := Merge(jar, []Cookie{
		{Name: "s", Value: "new", Domain: "idp.example", HostOnly: true, Path: "/"},
		{Name: "k", Domain: "idp.example", HostOnly: true, Path: "/", Expires: now.Add(-time.Second)},
	}, now)
	want := map[string]bool{"s=new/": true, "s=other-path/x": true}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for _, c := range got {
		if !want[c.Name+"="+c.Value+c.Path] {
			t.Errorf("unexpected %+v", c)
		}
	}
}

// RFC 6265 §5.3 step 5: a Domain that is a public suffix is ignored when it
// is the request's host itself: the cookie stays host-only, so Domain=localhost
// set by localhost is not sent to every *.localhost name.
func TestFromResponseKeepsAPublicSuffixDomainHostOnly(t *testing.T) {
	u, _ := url.Parse("http://localhost:8080/login")
	resp := &http.Response{Header: http.Header{"Set-Cookie": {"sid=1; Domain=localhost; Path=/"}}}
	got := FromResponse(resp, u, time.Now())
	if len(got) != 1 || !got[0].HostOnly || got[0].Domain != "localhost" {
		t.Fatalf("got %+v, want one host-only cookie of localhost", got)
	}
	if got[0].MatchesHost("app.localhost") {
		t.Error("the cookie is sent to app.localhost")
	}
}
