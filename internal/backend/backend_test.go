package backend

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseRefuses(t *testing.T) {
	for raw, want := range map[string]string{
		"://x":                         "is not a URL",
		"api.example.com":              "must start with https:// or http://",
		"ftp://api.example.com":        "must start with https:// or http://",
		"https://":                     "has no host",
		"https://x.example/?a=b":       "must not hold user info, a query or a fragment",
		"https://u:p@x.example":        "must not hold user info",
		"http://api.example.com":       "uses http:// on a host that is not loopback",
		"http://app.localhost.invalid": "uses http:// on a host that is not loopback",
	} {
		if _, err := Parse(raw, false); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", raw, err, want)
		}
	}
	for _, raw := range []string{"https://api.example.com/", "http://127.0.0.1:8080/app/", "http://[::1]:9000"} {
		b, err := Parse(raw, false)
		if err != nil {
			t.Errorf("Parse(%q): %v", raw, err)
			continue
		}
		if strings.HasSuffix(b.String(), "/") {
			t.Errorf("Parse(%q) keeps the trailing slash: %s", raw, b)
		}
	}
}

func TestJoinAndCookieURLs(t *testing.T) {
	b := MustParse("https://api.example.com/app/")
	if got := b.Join("/user/token"); got != "https://api.example.com/app/user/token" {
		t.Errorf("Join = %s", got)
	}
	if got := MustParse("https://api.example.com").Join("user/id"); got != "https://api.example.com/user/id" {
		t.Errorf("Join without a base path = %s", got)
	}
	got := b.CookieURLs("/user/token", "", "/callback")
	want := []string{"https://api.example.com/app/", "https://api.example.com/app/user/token", "https://api.example.com/app/callback"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("CookieURLs = %q, want %q", got, want)
	}
}

// A page is the backend's only at or under its base path: /app holds /app
// and /app/x, not /application, and the origin is scheme, host and port.
func TestContainsHoldsOnlyTheBasePath(t *testing.T) {
	b := MustParse("https://api.example.com/app")
	for raw, want := range map[string]bool{
		"https://api.example.com/app":                   true,
		"https://api.example.com/app/":                  true,
		"https://api.example.com/app/callback?x=1":      true,
		"https://API.example.com/app/x":                 true,
		"https://api.example.com/application":           false,
		"https://api.example.com/app/%2e%2e/mallory/cb": false, // a browser goes to /mallory/cb
		"https://api.example.com/app/../mallory":        false,
		"https://api.example.com/app/x/../cb":           true,
		"https://api.example.com/":                      false,
		"http://api.example.com/app/x":                  false,
		"https://api.example.com:8443/app/x":            false,
		"https://idp.example.com/app/x":                 false,
		"::not a url":                                   false,
	} {
		if got := b.Contains(raw); got != want {
			t.Errorf("Contains(%q) = %v, want %v", raw, got, want)
		}
	}
	if !MustParse("https://api.example.com").Contains("https://api.example.com/anything") {
		t.Error("a backend without a base path does not hold its pages")
	}
	if !b.IsPath("https://api.example.com/app/callback/?code=1", "/callback") || b.IsPath("https://api.example.com/app/callbackx", "/callback") {
		t.Error("IsPath does not match the path alone")
	}
}

func TestNames(t *testing.T) {
	for _, tt := range []struct{ raw, profile, prefix string }{
		{"https://api.example.com", "api.example.com_443", "https_api.example.com_443-"},
		{"http://127.0.0.1:8080/app", "127.0.0.1_8080", "http_127.0.0.1_8080-"},
		{"http://[::1]:9000", "__1_9000", "http___1_9000-"},
		{"https://Bücher.example", "bücher.example_443", "https_xn--bcher-kva.example_443-"},
	} {
		b := MustParse(tt.raw)
		if got := b.ProfileName(); got != tt.profile {
			t.Errorf("ProfileName(%s) = %q, want %q", tt.raw, got, tt.profile)
		}
		if got := b.CacheName(); !strings.HasPrefix(got, tt.prefix) || len(got) != len(tt.prefix)+64 {
			t.Errorf("CacheName(%s) = %q, want %s<sha256>", tt.raw, got, tt.prefix)
		}
	}
	// Spellings of one backend share a name; different backends do not.
	same := []string{"http://localhost:9/app", "HTTP://LocalHost:9/app/", "http://localhost:9/app/./x/.."}
	for _, raw := range same[1:] {
		if MustParse(raw).CacheName() != MustParse(same[0]).CacheName() || !MustParse(same[0]).Same(raw) {
			t.Errorf("%s and %s are one backend, with two names", raw, same[0])
		}
	}
	for _, pair := range [][2]string{{"http://127.0.0.1:9/a_b", "http://127.0.0.1:9/a/b"}, {"https://bücher.example", "https://b_cher.example"},
		{"http://127.0.0.1:9/a%2Fb", "http://127.0.0.1:9/a/b"}, {"http://127.0.0.1", "http://127.0.0.1:8080"}} {
		if MustParse(pair[0]).CacheName() == MustParse(pair[1]).CacheName() || MustParse(pair[0]).Same(pair[1]) {
			t.Errorf("%s and %s share a cache name", pair[0], pair[1])
		}
	}
}

// FuzzCacheName checks that any backend URL gets a file name of its own
// (no separator, not too long) and that the canonical URL is a fixed point.
func FuzzCacheName(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:9/a_b", "https://bücher.example/x/../y/", "http://[::1]:80/", "HTTPS://A.EXAMPLE:443", "http://h/a%2Fb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		b, err := Parse(raw, true)
		if err != nil {
			return
		}
		name := b.CacheName()
		if strings.ContainsAny(name, `/\`+"\x00") || len(name) > 160 || strings.HasPrefix(name, ".") {
			t.Fatalf("CacheName(%q) = %q", raw, name)
		}
		canon := b.Canonical()
		v, err := url.Parse(canon)
		if err != nil {
			t.Fatalf("Canonical(%q) = %q, which does not parse: %v", raw, canon, err)
		}
		if again := (&Backend{URL: v}).Canonical(); again != canon {
			t.Fatalf("Canonical(%q) = %q, but of that %q", raw, canon, again)
		}
		if !b.Same(raw) {
			t.Fatalf("Same(%q) is false for itself", raw)
		}
	})
}

// FuzzAccountNames checks that the cache entry and the profile of a
// (backend, account) pair are file names of their own, and that two pairs
// share a name only when they are the same pair: the same canonical URL
// and the same account.
func FuzzAccountNames(f *testing.F) {
	f.Add("http://127.0.0.1:9/a", "alice@example.test", "http://127.0.0.1:9/a", "bob@example.test")
	f.Add("https://h.example", "default", "https://h.example:443/", "Default")
	f.Add("https://h.example", "a_b", "https://h.example", "a.b")
	f.Add("https://h.example/x", "alice", "https://h.example/y", "alice")
	f.Add("https://h.example", "default", "https://h.example", "x\x00")
	f.Fuzz(func(t *testing.T, raw1, acct1, raw2, acct2 string) {
		b1, err1 := Parse(raw1, true)
		b2, err2 := Parse(raw2, true)
		if err1 != nil || err2 != nil || CheckAccount(acct1) != nil || CheckAccount(acct2) != nil {
			return
		}
		for _, name := range []string{b1.AccountCacheName(acct1), b1.AccountProfileName(acct1)} {
			if strings.ContainsAny(name, `/\`+"\x00") || len(name) > 160 || strings.HasPrefix(name, ".") || !utf8.ValidString(name) {
				t.Fatalf("(%q, %q) is named %q", raw1, acct1, name)
			}
		}
		same := b1.Canonical() == b2.Canonical() && acct1 == acct2
		if got := b1.AccountCacheName(acct1) == b2.AccountCacheName(acct2); got != same {
			t.Fatalf("cache names of (%q, %q) and (%q, %q): equal %v, want %v", raw1, acct1, raw2, acct2, got, same)
		}
		// The default account's profile is ProfileName (host_port), as
		// before accounts; every other account's is its own.
		if acct1 != DefaultAccount || acct2 != DefaultAccount {
			if got := b1.AccountProfileName(acct1) == b2.AccountProfileName(acct2); got != same {
				t.Fatalf("profile names of (%q, %q) and (%q, %q): equal %v, want %v", raw1, acct1, raw2, acct2, got, same)
			}
		}
	})
}

func TestCheckAccount(t *testing.T) {
	for _, ok := range []string{"default", "alice@example.test", "Bob Smith", "ops/admin", "..", "zoë"} {
		if err := CheckAccount(ok); err != nil {
			t.Errorf("CheckAccount(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", " alice", "a\nb", "a\x00", "\xff", strings.Repeat("a", 257)} {
		if err := CheckAccount(bad); err == nil {
			t.Errorf("CheckAccount(%q) accepted", bad)
		}
	}
}

// Every account's cache name of every spelling of a backend begins with
// its CachePrefix: a listing by that prefix misses none of its entries.
func TestCachePrefixBeginsEveryAccountCacheName(t *testing.T) {
	for _, same := range [][]string{
		{"https://api.example.com", "HTTPS://API.example.com:443/", "https://api.example.com:443"},
		{"http://[::1]:9000/app", "http://[0:0::1]:9000/app/./"},
		{"https://Bücher.example", "https://xn--bcher-kva.example"},
		{"http://" + strings.Repeat("h", 80) + ".example:8080"},
	} {
		prefix := MustParse(same[0]).CachePrefix()
		for _, raw := range same {
			b := MustParse(raw)
			if !b.Same(same[0]) {
				t.Fatalf("%s is not %s", raw, same[0])
			}
			for _, account := range []string{DefaultAccount, "alice@example.com", strings.Repeat("é", 100)} {
				if got := b.AccountCacheName(account); !strings.HasPrefix(got, prefix) {
					t.Errorf("AccountCacheName(%s, %q) = %q, not under %q", raw, account, got, prefix)
				}
			}
		}
	}
}
