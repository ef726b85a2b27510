package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/cache"
)

// plantEntry writes a cache entry for backend as an attacker would: a
// token valid for a day and a profile to delete, then gives it to uid (or
// leaves it the test's own when uid < 0) with mode.
func plantEntry(t *testing.T, env map[string]string, backend string, uid int, mode os.FileMode, profile string) {
	t.Helper()
	dir := seedCache(t, env, backend, cache.Entry{Backend: backend, Identity: "mallory", Token: "planted.token.value",
		TokenExpiresAt: time.Now().Add(24 * time.Hour), Profile: profile})
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		if uid >= 0 {
			if err := os.Chown(f, uid, uid); err != nil {
				t.Fatal(err)
			}
		}
		os.Chmod(f, mode)
	}
}

func otherUID(t *testing.T) int {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("only root can create another user's files (CI runs as root)")
	}
	return 65534 // nobody
}

func TestTokenIgnoresACacheEntryThatIsNotTheUsers(t *testing.T) {
	for _, tt := range []struct {
		name string
		uid  func(t *testing.T) int
		mode os.FileMode
	}{
		{"another user's", otherUID, 0o644},
		{"world-writable", func(*testing.T) int { return -1 }, 0o666},
	} {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			env := map[string]string{"HOME": home, "CI": "true"}
			backend := "http://127.0.0.1:9" // nothing answers: no login can succeed
			plantEntry(t, env, backend, tt.uid(t), tt.mode, "")
			var out, errb bytes.Buffer
			code := Run(context.Background(), []string{"token", "-b", backend, "--browser", "/nonexistent/chrome", "--timeout", "5s"},
				envOf(env), IO{Out: &out, Err: &errb})
			if strings.Contains(out.String(), "planted") || code == 0 {
				t.Fatalf("exit %d, stdout %q: the planted token was used", code, out.String())
			}
			if !strings.Contains(errb.String(), "clilogin: warning: ignoring the cached login") {
				t.Errorf("no warning about the entry:\n%s", errb.String())
			}
		})
	}
}

func TestLogoutProfileDoesNotDeleteWhatAnotherUsersEntryNames(t *testing.T) {
	uid := otherUID(t)
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	victim := filepath.Join(t.TempDir(), "precious")
	os.Mkdir(victim, 0o700)
	os.WriteFile(filepath.Join(victim, "Local State"), []byte("{}"), 0o600)
	backend := "http://127.0.0.1:9"
	plantEntry(t, env, backend, uid, 0o644, victim)
	var out, errb bytes.Buffer
	Run(context.Background(), []string{"logout", "-b", backend, "--profile"}, envOf(env), IO{Out: &out, Err: &errb})
	if _, err := os.Stat(filepath.Join(victim, "Local State")); err != nil {
		t.Errorf("logout --profile deleted the directory another user's entry named: %v\n%s", err, errb.String())
	}
}
