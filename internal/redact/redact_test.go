package redact

import (
	"net/url"
	"strings"
	"testing"
)

func TestURLMasksSecretsAndKeepsTheRest(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{
			"callback code and state masked, sorted",
			"https://app.example.com/callback?state=st4te&code=c0deVALUE",
			"https://app.example.com/callback?code=REDACTED&state=REDACTED",
		},
		{
			"allow-listed values kept",
			"https://idp.example.com/auth?client_id=cli&response_type=code&scope=openid+email&redirect_uri=https%3A%2F%2Fapp%2Fcb&prompt=login&response_mode=query&nonce=n0nce",
			"https://idp.example.com/auth?client_id=cli&nonce=REDACTED&prompt=login&redirect_uri=https%3A%2F%2Fapp%2Fcb&response_mode=query&response_type=code&scope=openid+email",
		},
		{
			"error parameters kept",
			"https://app.example.com/cb?error=access_denied&error_description=User+said+no&error_uri=https%3A%2F%2Fdocs&state=abc",
			"https://app.example.com/cb?error=access_denied&error_description=User+said+no&error_uri=https%3A%2F%2Fdocs&state=REDACTED",
		},
		{
			"allow-list is case-insensitive on the name",
			"https://x.test/?SCOPE=openid&Error=bad&Code=abc",
			"https://x.test/?Code=REDACTED&Error=bad&SCOPE=openid",
		},
		{
			"every value of a repeated secret parameter",
			"https://x.test/?token=one1&token=two2",
			"https://x.test/?token=REDACTED&token=REDACTED",
		},
		{
			"parameter without value gets a mask",
			"https://x.test/?password",
			"https://x.test/?password=REDACTED",
		},
		{
			"fragment masked",
			"https://app.example.com/cb#access_token=abcdef&token_type=bearer",
			"https://app.example.com/cb#REDACTED",
		},
		{
			"user and password masked",
			"https://alice:hunter22@app.example.com/x",
			"https://REDACTED@app.example.com/x",
		},
		{
			"user alone masked",
			"https://alice@app.example.com/x",
			"https://REDACTED@app.example.com/x",
		},
		{
			"all at once",
			"https://u:p4ssw0rd@h.test:8443/a/b?code=xyz1&scope=s#frag",
			"https://REDACTED@h.test:8443/a/b?code=REDACTED&scope=s#REDACTED",
		},
		{
			"percent-encoded secret name still masked",
			"https://x.test/?%63ode=secret1",
			"https://x.test/?code=REDACTED",
		},
		{
			"pair with a broken escape is dropped, not shown",
			"https://x.test/?code=abc%zzdef&scope=openid",
			"https://x.test/?scope=openid",
		},
		{
			"semicolon-separated pair is dropped, not shown",
			"https://x.test/?code=abcd;state=efgh",
			"https://x.test/",
		},
		{
			"opaque URL query masked",
			"mailto:someone@example.com?body=secretbody",
			"mailto:REDACTED",
		},
		{
			"relative URL query masked",
			"/callback?code=abcd",
			"/callback?code=REDACTED",
		},
		{"no secrets unchanged", "https://app.example.com/user/id", "https://app.example.com/user/id"},
		{"empty stays empty", "", ""},
		{"unparseable URL masked whole", "https://app.example.com:bad port/?code=secretcode", Mask},
		{"control character masked whole", "https://x.test/\x7f?code=secretcode", Mask},
		{"missing scheme masked whole", "://x.test/?code=secretcode", Mask},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := URL(tt.in); got != tt.want {
				t.Errorf("URL(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// A secret of four bytes or more is masked wherever it is; a shorter one
// (a 3-character password) where it stands alone, not inside a longer word.
func TestSecretsMasksEverySecret(t *testing.T) {
	tests := []struct {
		name    string
		s       string
		secrets []string
		want    string
	}{
		{"one secret, every occurrence", "pw=hunter2 again hunter2", []string{"hunter2"}, "pw=REDACTED again REDACTED"},
		{"several secrets", "tok abcd.efgh cookie s3ss", []string{"abcd.efgh", "s3ss"}, "tok REDACTED cookie REDACTED"},
		{"short secrets standing alone masked", "a is not abc", []string{"a", "abc"}, "REDACTED is not REDACTED"},
		{"short secret quoted or at the edges", `abc value="abc" pw=abc.`, []string{"abc"}, `REDACTED value="REDACTED" pw=REDACTED.`},
		{"short secret inside a word kept", "abcdef xabc xabcx ñabc abc7", []string{"abc"}, "abcdef xabc xabcx ñabc abc7"},
		{"short secret next to itself", "abcabc abc", []string{"abc"}, "abcabc REDACTED"},
		{"short secret overlapping a word", "xaaa aa", []string{"aa"}, "xaaa REDACTED"},
		{"empty secret ignored", "nothing", []string{""}, "nothing"},
		{"no secrets", "plain", nil, "plain"},
		{"secret absent", "plain text", []string{"zzzz"}, "plain text"},
		{"exactly four bytes masked", "pin 1234", []string{"1234"}, "pin REDACTED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Secrets(tt.s, tt.secrets...); got != tt.want {
				t.Errorf("Secrets(%q, %q) = %q, want %q", tt.s, tt.secrets, got, tt.want)
			}
		})
	}
}

func isAlnum(s string) bool {
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

func isParamName(s string) bool {
	return s != "" && isAlnum(strings.NewReplacer("_", "", "-", "", ".", "").Replace(s))
}

var fuzzSecretNames = []string{"code", "state", "token", "password", "access_token", "id_token", "session", "nonce"}

// FuzzURL checks that URL never panics and that the value of a parameter
// that is not allow-listed, the password in the user info and the fragment
// never show in its output: the output must not depend on them at all.
func FuzzURL(f *testing.F) {
	f.Add("https", "app.example.com", "/callback", "scope=openid&state=xyz", "code", "c0deVALUE", uint8(1))
	f.Add("http", "127.0.0.1:8080", "/cb", "", "state", "abcd", uint8(3))
	f.Add("https", "idp.test", "/auth", "redirect_uri=https%3A%2F%2Fa%2Fb&client_id=x", "token", "Tok3nTok3n", uint8(7))
	f.Add("https", "h", "", "error=access_denied", "password", "hunter22", uint8(4))
	f.Add("myapp", "cb", "/x#y", "a=b", "Code", "REDA", uint8(2))
	f.Add("https", "x", "/%zz", ";", "x", "abcdef", uint8(1))
	f.Add("https", "[::1]:80", "/p", "scope=abcd1234", "code", "abcd1234", uint8(5))
	f.Fuzz(func(t *testing.T, scheme, host, path, rest, name, secret string, where uint8) {
		_ = URL(scheme + host + path + rest + name + secret) // never panics, whatever the input
		_ = URL(rest)

		if len(secret) < 4 || !isAlnum(secret) {
			return
		}
		if !isParamName(name) || safeParams[strings.ToLower(name)] {
			name = fuzzSecretNames[len(name)%len(fuzzSecretNames)]
		}
		if scheme == "" || !isAlnum(scheme[:1]) || !isParamName(strings.ReplaceAll(scheme, "+", "")) {
			scheme = "https"
		}
		if where&7 == 0 {
			where = 1
		}
		build := func(v string) string {
			raw := scheme + "://"
			if where&4 != 0 {
				raw += "user:" + v + "@"
			}
			raw += host + path + "?" + rest
			if where&1 != 0 {
				raw += "&" + name + "=" + v
			}
			if where&2 != 0 {
				raw += "#" + v
			}
			return raw
		}
		raw := build(secret)
		got := URL(raw)
		ref := URL(build("x"))
		if got != ref {
			t.Fatalf("the output depends on the secret\nURL(%q)\n = %q\nbut with the secret replaced = %q", raw, got, ref)
		}
		if strings.Contains(got, secret) && !strings.Contains(ref, secret) {
			t.Fatalf("URL(%q) = %q shows the secret %q", raw, got, secret)
		}
		// A masked query parameter leaves a mark: the output is not made
		// safe by dropping the whole query.
		if u, err := url.Parse(raw); err == nil && where&1 != 0 &&
			strings.HasSuffix(u.RawQuery, "&"+name+"="+secret) && strings.Count(u.RawQuery, "&") < 1000 {
			if !strings.Contains(got, name+"="+Mask) {
				t.Fatalf("URL(%q) = %q, want %s=%s in it", raw, got, name, Mask)
			}
		}
	})
}

func TestURLRedactsOpaqueURLsAndNestedRedirectURIs(t *testing.T) {
	for in, want := range map[string]string{
		"https:alice:hunter22@evil.example/x": "https:" + Mask,
		"https://idp.example/auth?client_id=app&redirect_uri=" + url.QueryEscape("https://app.example/cb?code=s3cr3tcode&x=1"): "https://idp.example/auth?client_id=app&redirect_uri=" +
			url.QueryEscape("https://app.example/cb?code="+Mask+"&x="+Mask),
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}

func TestJWTs(t *testing.T) {
	const tok = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl-_"
	tests := []struct{ in, want string }{
		{"Your token: " + tok + ".", "Your token: REDACTED."},
		{`<a href="/api/` + tok + `">`, `<a href="/api/REDACTED">`},
		{"unsigned " + "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "unsigned REDACTED"},
		{"eyJust a word and a.b.c", "eyJust a word and a.b.c"},
		{"no token here", "no token here"},
	}
	for _, tt := range tests {
		if got := JWTs(tt.in); got != tt.want {
			t.Errorf("JWTs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := URL("http://127.0.0.1:9/welcome/" + tok); got != "http://127.0.0.1:9/welcome/REDACTED" {
		t.Errorf("URL with a JWT in its path = %q", got)
	}
}

// Cookie values shorter than MinAnywhere are not secrets to mask: "1" or
// "en" would hide ordinary words of every message.
func TestValuesKeepsTheLongOnes(t *testing.T) {
	got := Values([]string{"1", "en", "yes", "s3ss", "longer-session-value", ""})
	if strings.Join(got, ",") != "s3ss,longer-session-value" {
		t.Errorf("Values = %q", got)
	}
}
