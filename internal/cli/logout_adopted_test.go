package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/backend"
)

// logout --account alice --profile, when alice's login is still the entry
// of a clilogin before accounts, deletes the profile that holds her IdP
// session (the old entry's), not her new, empty one: else her IdP session
// stays and signs the next login of the default account in as her.
func TestLogoutProfileOfAnAdoptedEntry(t *testing.T) {
	b := newUsersBackend(t)
	env := cliEnv(t.TempDir())
	bk := backend.MustParse(b.srv.URL)
	dir := filepath.Join(env["XDG_CACHE_HOME"], "clilogin")
	oldProfile := filepath.Join(env["XDG_CONFIG_HOME"], "clilogin", "profiles", bk.ProfileName())
	for _, d := range []string{dir, oldProfile} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(oldProfile, "Local State"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := fmt.Sprintf(`{"version":1,"backend":%q,"identity":"alice","token":%q,"token_expires_at":%q,"idp_session":[{"name":"idp","value":"alice","domain":"idp.example","path":"/"}],"profile":%q,"saved_at":%q}`,
		b.srv.URL, userJWT("alice", time.Now().Add(time.Hour)), time.Now().Add(time.Hour).UTC().Format(time.RFC3339), oldProfile, time.Now().UTC().Format(time.RFC3339))
	if err := os.WriteFile(filepath.Join(dir, bk.CacheName()+".json"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runFake(t, env, &fakeIdP{}, "logout", "-b", b.srv.URL, "--account", "alice", "--profile")
	if r.code != 0 {
		t.Fatalf("logout --account alice --profile: %+v", r)
	}
	if _, err := os.Stat(oldProfile); err == nil {
		t.Errorf("alice's IdP session is left in %s:\n%s", oldProfile, r.stderr)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*.json")); len(files) != 0 {
		t.Errorf("logout left %q", files)
	}
}
