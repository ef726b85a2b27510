package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clilogin/clilogin/devstack"
)

const apacheBin = "/usr/sbin/apache2"

// An Apache front with mod_auth_openidc (Debian package
// libapache2-mod-auth-openidc) before a backend, Glewlwyd as the IdP. After
// the IdP, mod_auth_openidc sends the browser back to the URL first asked
// for, so the success page is the login path itself.
func TestLoginBehindModAuthOpenIDC(t *testing.T) {
	need(t, "Chromium", browserPaths["shell"])
	need(t, "Apache", apacheBin)
	if _, err := os.Stat("/usr/lib/apache2/modules/mod_auth_openidc.so"); err != nil {
		msg := "mod_auth_openidc not found; install it with: apt-get install -y libapache2-mod-auth-openidc"
		if os.Getenv("CI") == "true" {
			t.Fatal("CI: " + msg)
		}
		t.Skip(msg)
	}
	g := startGlewlwyd(t)

	// The backend behind the front: the login path is only reached signed
	// in; the token is the id_token mod_auth_openidc passes on.
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			fmt.Fprint(w, "ok")
		case "/user/token":
			fmt.Fprint(w, r.Header.Get("OIDC_id_token"))
		case "/user/id": // the token's email; the front checks nothing here
			_, payload, _ := strings.Cut(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), ".")
			payload, _, _ = strings.Cut(payload, ".")
			b, _ := base64.RawURLEncoding.DecodeString(payload)
			var claims struct{ Email string }
			json.Unmarshal(b, &claims)
			fmt.Fprint(w, claims.Email)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(backend.Close)

	dir := t.TempDir()
	os.Chmod(dir, 0o755) // Apache's children run as www-data
	port := freePort(t)
	front := fmt.Sprintf("http://127.0.0.1:%d", port)
	if _, err := g.Register(t.Context(), devstack.Client{ID: "apache-front", Secret: "apache-front-secret", RedirectURIs: []string{front + "/redirect_uri"}}); err != nil {
		t.Fatal(err)
	}
	pass := make([]byte, 16)
	rand.Read(pass)
	conf := fmt.Sprintf(`ServerRoot /usr/lib/apache2
ServerName 127.0.0.1
Listen 127.0.0.1:%d
PidFile %s/httpd.pid
ErrorLog %s/error.log
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module modules/mod_mpm_event.so
LoadModule authn_core_module modules/mod_authn_core.so
LoadModule authz_core_module modules/mod_authz_core.so
LoadModule authz_user_module modules/mod_authz_user.so
LoadModule proxy_module modules/mod_proxy.so
LoadModule proxy_http_module modules/mod_proxy_http.so
LoadModule auth_openidc_module modules/mod_auth_openidc.so
OIDCProviderMetadataURL %s/.well-known/openid-configuration
OIDCClientID apache-front
OIDCClientSecret apache-front-secret
OIDCRedirectURI %s/redirect_uri
OIDCCryptoPassphrase %s
OIDCScope "openid email profile"
OIDCPassIDTokenAs serialized
<Location />
  AuthType openid-connect
  Require valid-user
</Location>
<Location /user/id>
  Require all granted
</Location>
ProxyPass /redirect_uri !
ProxyPass / %s/
`, port, dir, dir, g.Issuer(), front, hex.EncodeToString(pass), backend.URL)
	confPath := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(apacheBin, "-f", confPath, "-DFOREGROUND")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := os.Create(filepath.Join(dir, "stdout.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM) // Apache stops its children itself
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(front + "/user/id")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			logs, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			so, _ := os.ReadFile(filepath.Join(dir, "stdout.log"))
			t.Fatalf("apache did not answer in 20s: %v\n%s\n%s", err, logs, so)
		}
	}
	user := devstack.DemoUser.Email
	r := clilogin(t, run{args: append(loginArgs(front, filepath.Join(t.TempDir(), "p"), "-v", "--expect-identity", user),
		"--callback-path", "/redirect_uri"), env: []string{"CLILOGIN_PASSWORD=" + password}})
	if r.code != 0 {
		logs, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		t.Fatalf("%s\napache:\n%s", r, logs)
	}
	wantContains(t, "-v log", r.stderr, "success marker text:ok found at "+front+"/login")
}
