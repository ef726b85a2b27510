package cookies

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

var formatCookies = []Cookie{
	{Name: "sid", Value: "s1", Domain: "127.0.0.1", HostOnly: true, Path: "/", HTTPOnly: true},
	{Name: "pref", Value: "p1", Domain: "example.com", Path: "/app", Secure: true, SameSite: "Strict",
		Expires: time.Unix(1893456000, 0).UTC()},
}

func TestWriteNetscapeLines(t *testing.T) {
	var b bytes.Buffer
	if err := WriteNetscape(&b, formatCookies); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"# Netscape HTTP Cookie File",
		"#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\ts1",
		".example.com\tTRUE\t/app\tTRUE\t1893456000\tpref\tp1",
	} {
		if !strings.Contains(b.String(), line+"\n") {
			t.Errorf("missing line %q in\n%s", line, b.String())
		}
	}
}

func TestWritePlaywrightStorageState(t *testing.T) {
	var b bytes.Buffer
	if err := WritePlaywright(&b, formatCookies); err != nil {
		t.Fatal(err)
	}
	var state struct {
		Cookies []map[string]any `json:"cookies"`
		Origins []any            `json:"origins"`
	}
	if err := json.Unmarshal(b.Bytes(), &state); err != nil {
		t.Fatal(err)
	}
	if state.Origins == nil || len(state.Cookies) != 2 {
		t.Fatalf("state = %s", b.String())
	}
	c0, c1 := state.Cookies[0], state.Cookies[1]
	if c0["domain"] != "127.0.0.1" || c0["expires"] != -1.0 || c0["httpOnly"] != true || c0["sameSite"] != "Lax" {
		t.Errorf("session host-only cookie = %v", c0)
	}
	if c1["domain"] != ".example.com" || c1["expires"] != 1893456000.0 || c1["secure"] != true || c1["sameSite"] != "Strict" {
		t.Errorf("domain cookie = %v", c1)
	}
}

func TestWriteFormatHeaderAndUnknown(t *testing.T) {
	var b bytes.Buffer
	if err := WriteFormat(&b, "header", formatCookies, mustURL(t, "http://127.0.0.1:8080/user/token")); err != nil {
		t.Fatal(err)
	}
	if b.String() != "sid=s1\n" {
		t.Errorf("header = %q", b.String())
	}
	if err := WriteFormat(&b, "yaml", nil, nil); err == nil {
		t.Error("unknown format accepted")
	}
	b.Reset()
	WriteFormat(&b, "json", nil, nil)
	if strings.TrimSpace(b.String()) != "[]" {
		t.Errorf("json of no cookies = %q", b.String())
	}
}

// FuzzWriteNetscape checks that any cookie gives one line of seven
// tab-separated fields.
func FuzzWriteNetscape(f *testing.F) {
	f.Add("sid", "v", "example.com", "/", true, false)
	f.Add("a\tb", "c\nd", "x", "/\r", false, true)
	f.Fuzz(func(t *testing.T, name, value, domain, path string, hostOnly, httpOnly bool) {
		var b bytes.Buffer
		WriteNetscape(&b, []Cookie{{Name: name, Value: value, Domain: domain, Path: path, HostOnly: hostOnly, HTTPOnly: httpOnly}})
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		last := lines[len(lines)-1]
		if n := len(strings.Split(last, "\t")); n != 7 {
			t.Errorf("line %q has %d fields", last, n)
		}
	})
}

// TestNamelessCookie: a cookie without a name (Set-Cookie: "value") is sent
// by a browser as the bare value. curl and wget read a Netscape line without
// a name as a cookie named by the value, so the file leaves it out rather
// than send a cookie the backend never set; the header sends what a browser
// sends.
func TestNamelessCookie(t *testing.T) {
	cs := []Cookie{
		{Name: "", Value: "nameless-value", Domain: "127.0.0.1", HostOnly: true, Path: "/"},
		{Name: "sid", Value: "s1", Domain: "127.0.0.1", HostOnly: true, Path: "/"},
	}
	var b bytes.Buffer
	if err := WriteNetscape(&b, cs); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "nameless-value") {
		t.Errorf("the Netscape file holds the nameless cookie, which curl sends as nameless-value=:\n%s", b.String())
	}
	if !strings.Contains(b.String(), "\tsid\ts1\n") {
		t.Errorf("the named cookie is missing:\n%s", b.String())
	}
	u, _ := url.Parse("http://127.0.0.1/")
	if got, want := Header(cs, u, time.Now()), "nameless-value; sid=s1"; got != want {
		t.Errorf("Header = %q, want %q (what a browser sends)", got, want)
	}
}
