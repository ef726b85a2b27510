package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clilogin/clilogin/devstack"
)

// Glewlwyd (Debian package glewlwyd) is an IdP whose login is a single-page
// React app: sign-in, a scope consent with checkboxes and a "continue" step
// render in place. It runs from the package's own configuration file and
// database, changed only where a test must: a free port, a copy of the
// database, the web app served by glewlwyd itself, logs to the console.
// Its administration API then adds what any deployment adds: the OpenID
// Connect plugin, the email and profile scopes, a user and the backend's
// client, as the administration web app would.
const (
	glewlwydBin    = "/usr/bin/glewlwyd"
	glewlwydConf   = "/etc/glewlwyd/glewlwyd.conf"
	glewlwydDB     = "/var/lib/dbconfig-common/sqlite3/glewlwyd/glewlwyd"
	glewlwydWebapp = "/usr/share/glewlwyd/webapp/"
)

type glewlwyd struct {
	base string // http://localhost:PORT
	api  *http.Client
}

func startGlewlwyd(t *testing.T) *glewlwyd {
	t.Helper()
	need(t, "Glewlwyd", glewlwydBin)
	dir := t.TempDir()
	db, err := os.ReadFile(glewlwydDB)
	if err != nil {
		t.Fatalf("the glewlwyd package's database: %v (apt-get install glewlwyd sets it up)", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "glewlwyd.db"), db, 0o600); err != nil {
		t.Fatal(err)
	}
	webapp := glewlwydWebappDir(t, dir)
	port := freePort(t)
	g := &glewlwyd{base: fmt.Sprintf("http://localhost:%d", port)}
	confPath := filepath.Join(dir, "glewlwyd.conf")
	rewrite(t, glewlwydConf, confPath,
		edit{`(?m)^port=.*$`, fmt.Sprintf("port=%d", port)},
		edit{`(?m)^#?\s*bind_address=.*$`, `bind_address="127.0.0.1"`},
		edit{`(?m)^external_url=.*$`, fmt.Sprintf("external_url=%q", g.base)},
		edit{`(?m)^log_mode=.*$`, `log_mode="console"`},
		edit{`(?m)^log_level=.*$`, `log_level="ERROR"`},
		edit{`(?m)^#\s*static_files_path=.*$`, fmt.Sprintf("static_files_path=%q", webapp)},
		edit{`(?m)^@include "/etc/glewlwyd/glewlwyd-db.conf"$`, fmt.Sprintf(`database = { type = "sqlite3" path = %q };`, filepath.Join(dir, "glewlwyd.db"))})
	cmd := exec.Command(glewlwydBin, "--config-file="+confPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	jar, _ := cookiejar.New(nil)
	g.api = &http.Client{Jar: jar, Timeout: 10 * time.Second}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := g.api.Get(g.base + "/config")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("glewlwyd did not answer in 20s: %v\n%s", err, logs.String())
		}
	}
	// The signing key: RS256, as relying parties such as go-oidc expect.
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	key := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}))
	cert := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	// The package's administrator, with its documented default password.
	g.call(t, "POST", "/api/auth/", map[string]any{"username": "admin", "password": "password"})
	g.call(t, "POST", "/api/mod/plugin/", map[string]any{
		"module": "oidc", "name": "oidc", "display_name": "OpenID Connect", "enabled": true,
		"parameters": map[string]any{
			"iss": g.issuer(), "jwt-type": "rsa", "jwt-key-size": "256", "key": key, "cert": cert,
			"access-token-duration": 3600, "refresh-token-duration": 1209600, "code-duration": 600,
			"refresh-token-rolling": true, "refresh-token-one-use": "never", "allow-non-oidc": false,
			"auth-type-code-enabled": true, "auth-type-token-enabled": true, "auth-type-id-token-enabled": true,
			"auth-type-none-enabled": true, "auth-type-password-enabled": false, "auth-type-client-enabled": true,
			"auth-type-device-enabled": false, "auth-type-refresh-enabled": true,
			"scope": []any{}, "additional-parameters": []any{}, "claims": []any{}, "jwks-show": true,
			"secret-type": "pairwise", "subject-type": "public", "name-claim": "on-demand", "email-claim": "mandatory",
			"address-claim": map[string]any{"type": "no", "mandatory": false}, "request-parameter-allow": true,
		},
	})
	for _, sc := range []string{"email", "profile"} {
		g.call(t, "POST", "/api/scope/", map[string]any{"name": sc, "display_name": sc, "description": "your " + sc,
			"password_required": true, "password_max_age": 0, "scheme": map[string]any{}})
	}
	u := devstack.DemoUser
	g.call(t, "POST", "/api/user/", map[string]any{"username": u.Email, "name": "Alice", "email": u.Email,
		"password": u.Password, "scope": []string{"openid", "email", "profile"}, "enabled": true})
	return g
}

// glewlwydWebappDir is the package's web app as served. Debian 12's package
// installs its config.json as a directory (/etc/glewlwyd/config-2.7.json/
// holding config.json), and links to files outside the app's directory,
// which glewlwyd's file server does not serve (its README says to serve
// the app with another web server), so the app would stay at
// "Loading...". The copy holds the files the links point to, and the
// packaged config.json where the app looks for it.
func glewlwydWebappDir(t *testing.T, dir string) string {
	t.Helper()
	web := filepath.Join(dir, "webapp")
	err := filepath.WalkDir(glewlwydWebapp, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(glewlwydWebapp, path)
		dst := filepath.Join(web, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		if st, err := os.Stat(path); err == nil && st.IsDir() { // config.json
			path = filepath.Join(path, d.Name())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o600)
	})
	if err != nil {
		t.Fatalf("copying glewlwyd's web app: %v", err)
	}
	return web + "/"
}

func (g *glewlwyd) issuer() string { return g.base + "/api/oidc" }

// register adds the backend's client; it is devstack's External hook.
func (g *glewlwyd) register(t *testing.T) func(context.Context, devstack.Client) (string, error) {
	return func(_ context.Context, c devstack.Client) (string, error) {
		g.call(t, "POST", "/api/auth/", map[string]any{"username": "admin", "password": "password"})
		g.call(t, "POST", "/api/client/", map[string]any{"client_id": c.ID, "name": "Example App", "confidential": true,
			"client_secret": c.Secret, "redirect_uri": c.RedirectURIs, "authorization_type": []string{"code", "refresh_token"},
			"token_endpoint_auth_method": []string{"client_secret_basic", "client_secret_post"}, "scope": []string{}, "enabled": true})
		return g.issuer(), nil
	}
}

func (g *glewlwyd) call(t *testing.T, method, path string, body any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, g.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.api.Do(req)
	if err != nil {
		t.Fatalf("glewlwyd %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("glewlwyd %s %s: %s %s", method, path, resp.Status, b)
	}
}

// edit replaces what the regular expression re matches with with.
type edit struct{ re, with string }

// rewrite writes to dst a package's file src with the edits made, each
// of which must match: a package whose file changed fails the test here.
func rewrite(t *testing.T, src, dst string, edits ...edit) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("the package's file: %v", err)
	}
	for _, e := range edits {
		re := regexp.MustCompile(e.re)
		if !re.Match(b) {
			t.Fatalf("%s: nothing matches %s", src, e.re)
		}
		b = re.ReplaceAll(b, []byte(e.with))
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// freePort is a port the OS just gave out, for a server that cannot listen
// on port 0 itself.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Glewlwyd's own single-page login: sign-in, scope consent (the unticked
// scopes are ticked) and "continue", all in one document. Cold logins in a
// row never see a false refusal; a warm login with no credentials gets
// through with the session alone; a headed login under Xvfb works the same.
func TestLoginGlewlwydIdP(t *testing.T) {
	need(t, "Chromium", browserPaths["shell"])
	g := startGlewlwyd(t)
	s := newStack(t, devstack.Config{External: g.register(t)})
	user := devstack.DemoUser.Email

	wrong := clilogin(t, run{args: loginArgs(s.BackendURL, filepath.Join(t.TempDir(), "p")), env: []string{"CLILOGIN_PASSWORD=wrong-password"}})
	wantCode(t, wrong, 4)
	wantContains(t, "stderr", wrong.stderr, "the identity provider refused the sign-in: ")
	wantContains(t, "stderr", wrong.stderr, "Authentication error")

	var profile string
	first := coldLogins(t, "glewlwyd", func(p string) run {
		profile = p
		return run{args: loginArgs(s.BackendURL, p, "-v", "--expect-identity", user), env: []string{"CLILOGIN_PASSWORD=" + password}}
	})
	wantContains(t, "-v log", first.stderr, "passed consent")
	wantContains(t, "-v log", first.stderr, "ticked 2 scopes, clicked Grant access")
	wantContains(t, "-v log", first.stderr, "passed continue")

	warm := clilogin(t, run{args: []string{"login", "--backend", s.BackendURL, "--headless", "--profile", profile, "--timeout", "30s", "-v"}})
	wantCode(t, warm, 0)
	wantContains(t, "stdout", warm.stdout, "as "+user)
	if strings.Contains(warm.stderr, "filled") {
		t.Errorf("the warm login filled a form:\n%s", warm.stderr)
	}

	t.Run("headed under Xvfb", func(t *testing.T) {
		need(t, "Chromium", browserPaths["chromium"])
		display := startXvfb(t)
		r := clilogin(t, run{args: []string{"login", "--backend", s.BackendURL, "--headless=false", "--browser", browserPaths["chromium"],
			"--username", user, "--profile", filepath.Join(t.TempDir(), "p"), "--timeout", "60s", "--expect-identity", user},
			env: []string{"CLILOGIN_PASSWORD=" + password, "DISPLAY=" + display}})
		wantCode(t, r, 0)
	})
}
