package cli

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/cache"
)

// The default account's profile is named for the host and port alone (as
// before accounts), so two backends under one host share it. A --username
// login of one's default account must not come back as the user of the
// other backend's last login there.
func TestDefaultProfileSharedByBackendsOfOneHost(t *testing.T) {
	users := newUsersBackend(t)
	mux := http.NewServeMux()
	for _, p := range []string{"/app1", "/app2"} {
		mux.Handle(p+"/", http.StripPrefix(p, users.srv.Config.Handler))
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	env := cliEnv(t.TempDir())
	f := &fakeIdP{}
	run := func(app string, args ...string) cliRun {
		return runFake(t, env, f, append(args, "-b", srv.URL+app, "--headless", "--account", "default")...)
	}
	if r := run("/app1", "login", "-u", "bob"); r.code != 0 {
		t.Fatalf("app1 login -u bob: %+v", r)
	}
	if r := run("/app2", "login", "-u", "alice"); r.code != 0 {
		t.Fatalf("app2 login -u alice: %+v", r)
	}
	// app1's entry keeps no IdP session to restore (expired, or none seen).
	store := cache.Store{Dir: filepath.Join(env["XDG_CACHE_HOME"], "clilogin")}
	name := backend.MustParse(srv.URL + "/app1").CacheName()
	e, err := store.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	e.IdPSession = nil
	if err := store.Save(name, e); err != nil {
		t.Fatal(err)
	}
	r := run("/app1", "login", "-u", "bob", "--no-replay", "-o", "json")
	if r.code == 0 && !strings.Contains(r.stdout, `"identity":"bob"`) {
		t.Fatalf("app1 login -u bob exit 0 as someone else: %s", r.stdout)
	}
}
