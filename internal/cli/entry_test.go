package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/cache"
	"github.com/clilogin/clilogin/internal/cookies"
)

// tokenFromCache runs `token` for backend with no browser to fall back on,
// and reports whether it printed tok.
func tokenFromCache(t *testing.T, env map[string]string, backend, tok string) (bool, cliRun) {
	t.Helper()
	r := runCLI(t, env, "token", "-b", backend, "--browser", "/nonexistent/chrome", "--timeout", "5s")
	return strings.Contains(r.stdout, tok), r
}

// Two backends never share a cache entry, whatever their URLs have in
// common once reduced to file-name characters.
func TestCacheEntriesDoNotCollide(t *testing.T) {
	pairs := []struct{ cached, asked string }{
		{"http://127.0.0.1:9/a_b", "http://127.0.0.1:9/a/b"},
		{"http://127.0.0.1:9/a/b", "http://127.0.0.1:9/a_b"},
		{"https://bücher.localhost:9", "https://b_cher.localhost:9"},
		{"https://bücher.localhost:9", "https://bächer.localhost:9"},
		{"http://127.0.0.1:9/a%2Fb", "http://127.0.0.1:9/a/b"},
	}
	for _, p := range pairs {
		env := cliEnv(t.TempDir())
		tok := testJWT(time.Now().Add(time.Hour))
		seedCache(t, env, p.cached, cache.Entry{Token: tok, TokenExpiresAt: time.Now().Add(time.Hour)})
		if got, r := tokenFromCache(t, env, p.asked, tok); got {
			t.Errorf("token -b %s printed the token cached for %s: %+v", p.asked, p.cached, r)
		}
		if got, r := tokenFromCache(t, env, p.cached, tok); !got {
			t.Errorf("token -b %s did not find its own entry: %+v", p.cached, r)
		}
	}
}

// The same backend written differently finds its entry.
func TestEquivalentBackendURLsShareTheEntry(t *testing.T) {
	same := [][]string{
		{"http://localhost:9/app", "HTTP://LocalHost:9/app/", "http://localhost:9/app/./x/.."},
		{"https://api.example.com", "https://API.example.com:443", "https://api.example.com/"},
		{"http://127.0.0.1:80", "http://127.0.0.1"},
		{"https://bücher.example", "https://xn--bcher-kva.example", "https://BÜCHER.example"},
	}
	for _, urls := range same {
		env := cliEnv(t.TempDir())
		tok := testJWT(time.Now().Add(time.Hour))
		seedCache(t, env, urls[0], cache.Entry{Token: tok, TokenExpiresAt: time.Now().Add(time.Hour)})
		for _, u := range urls[1:] {
			if got, r := tokenFromCache(t, env, u, tok); !got {
				t.Errorf("token -b %s did not find the entry of %s: %+v", u, urls[0], r)
			}
		}
	}
}

// An entry that records another backend than the one asked for is not
// used: its file may have been copied or renamed.
func TestAnEntryForAnotherBackendIsIgnored(t *testing.T) {
	env := cliEnv(t.TempDir())
	tok := testJWT(time.Now().Add(time.Hour))
	seedCache(t, env, "http://127.0.0.1:9/mine", cache.Entry{Backend: "http://127.0.0.1:9/theirs", Token: tok, TokenExpiresAt: time.Now().Add(time.Hour)})
	got, r := tokenFromCache(t, env, "http://127.0.0.1:9/mine", tok)
	if got {
		t.Fatalf("the entry recorded for another backend was used: %+v", r)
	}
	wantIn(t, r.stderr, "clilogin: warning: ignoring the cached login")
	wantIn(t, r.stderr, "http://127.0.0.1:9/theirs")
}

// A cache file named the way clilogin named them before hashed names is
// never used; status lists it as not used, and logout forgets it.
func TestOldCacheFilesAreListedNotUsedAndForgotten(t *testing.T) {
	env := cliEnv(t.TempDir())
	raw := "http://127.0.0.1:9/app"
	tok := testJWT(time.Now().Add(time.Hour))
	store := cache.Store{Dir: filepath.Join(env["XDG_CACHE_HOME"], "clilogin")}
	if err := os.MkdirAll(store.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	if err := store.Save((&backend.Backend{URL: u}).LegacyCacheName(), cache.Entry{Backend: raw, Identity: "alice", Token: tok, TokenExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got, r := tokenFromCache(t, env, raw, tok); got {
		t.Fatalf("the old file's token was used: %+v", r)
	}
	r := runCLI(t, env, "status", "-o", "json")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("status -o json: %v: %q", err, r.stdout)
	}
	if rows[0]["backend"] != raw || !strings.Contains(fmt.Sprint(rows[0]["error"]), "not used") {
		t.Errorf("status -o json does not list the old file as not used: %v", rows[0])
	}
	if r := runCLI(t, env, "logout", "-b", raw); r.code != 0 {
		t.Fatalf("logout: %+v", r)
	}
	if files, _ := filepath.Glob(filepath.Join(store.Dir, "*.json")); len(files) != 0 {
		t.Errorf("logout left %q", files)
	}
}

// status -o json: one object per cached login, with no secret.
func TestStatusJSON(t *testing.T) {
	env := cliEnv(t.TempDir())
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	tok := testJWT(exp)
	profile := t.TempDir()
	seedCache(t, env, "https://api.example.com", cache.Entry{Identity: "alice@example.com", Token: tok, TokenExpiresAt: exp, Profile: profile,
		Cookies: []cookies.Cookie{{Name: "session", Value: "s3cr3t-cookie", Domain: "api.example.com", Path: "/"}}})
	seedCache(t, env, "http://127.0.0.1:9/b", cache.Entry{})
	r := runCLI(t, env, "status", "-o", "json")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("status -o json: %+v", r)
	}
	for _, secret := range []string{tok, "s3cr3t-cookie"} {
		if strings.Contains(r.stdout, secret) {
			t.Errorf("status shows a secret: %s", r.stdout)
		}
	}
	var rows []struct {
		Backend        string     `json:"backend"`
		Identity       string     `json:"identity"`
		TokenExpiresAt *time.Time `json:"token_expires_at"`
		Token          bool       `json:"token"`
		Cookies        int        `json:"cookies"`
		Profile        string     `json:"profile"`
		ProfileExists  bool       `json:"profile_exists"`
		Error          string     `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("status -o json is not a list of two: %v: %s", err, r.stdout)
	}
	byBackend := map[string]int{rows[0].Backend: 0, rows[1].Backend: 1}
	a, ok := byBackend["https://api.example.com"]
	if !ok {
		t.Fatalf("no row for https://api.example.com: %s", r.stdout)
	}
	got := rows[a]
	if got.Identity != "alice@example.com" || !got.Token || got.Cookies != 1 || got.Profile != profile || !got.ProfileExists ||
		got.TokenExpiresAt == nil || !got.TokenExpiresAt.Equal(exp) || got.Error != "" {
		t.Errorf("row = %+v", got)
	}
	if b := rows[1-a]; b.Backend != "http://127.0.0.1:9/b" || b.Token || b.Cookies != 0 || b.Error != "" {
		t.Errorf("row = %+v", b)
	}
	r = runCLI(t, env, "status", "-o", "json", "-b", "HTTPS://API.example.com:443/")
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 1 || rows[0].Backend != "https://api.example.com" {
		t.Errorf("status -b filters by backend: %v: %s", err, r.stdout)
	}
}
