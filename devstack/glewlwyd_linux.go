package devstack

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
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
	"syscall"
	"time"
)

// Glewlwyd (Debian package glewlwyd) is an IdP whose login is a single-page
// React app: sign-in, a scope consent with checkboxes and a "continue" step
// render in place. StartGlewlwyd runs it from the package's own
// configuration file and database, changed only where it must be: a free
// port, a copy of the database, the web app served by glewlwyd itself, logs
// to the console. Its administration API then adds what any deployment
// adds: the OpenID Connect plugin, the email and profile scopes, DemoUser
// and (Register) the backend's client, as the administration web app would.
const (
	GlewlwydBin    = "/usr/bin/glewlwyd"
	glewlwydConf   = "/etc/glewlwyd/glewlwyd.conf"
	glewlwydDB     = "/var/lib/dbconfig-common/sqlite3/glewlwyd/glewlwyd"
	glewlwydWebapp = "/usr/share/glewlwyd/webapp/"
)

// Glewlwyd is a running glewlwyd.
type Glewlwyd struct {
	Base string // http://localhost:PORT
	api  *http.Client
	cmd  *exec.Cmd
	logs bytes.Buffer
}

// StartGlewlwyd starts glewlwyd with its files in dir; Close stops it.
func StartGlewlwyd(dir string) (g *Glewlwyd, err error) {
	db, err := os.ReadFile(glewlwydDB)
	if err != nil {
		return nil, fmt.Errorf("the glewlwyd package's database: %w (apt-get install glewlwyd sets it up)", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "glewlwyd.db"), db, 0o600); err != nil {
		return nil, err
	}
	webapp, err := glewlwydWebappDir(dir)
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	g = &Glewlwyd{Base: fmt.Sprintf("http://localhost:%d", port)}
	confPath := filepath.Join(dir, "glewlwyd.conf")
	err = Rewrite(glewlwydConf, confPath,
		Edit{`(?m)^port=.*$`, fmt.Sprintf("port=%d", port)},
		Edit{`(?m)^#?\s*bind_address=.*$`, `bind_address="127.0.0.1"`},
		Edit{`(?m)^external_url=.*$`, fmt.Sprintf("external_url=%q", g.Base)},
		Edit{`(?m)^log_mode=.*$`, `log_mode="console"`},
		Edit{`(?m)^log_level=.*$`, `log_level="ERROR"`},
		Edit{`(?m)^#\s*static_files_path=.*$`, fmt.Sprintf("static_files_path=%q", webapp)},
		Edit{`(?m)^@include "/etc/glewlwyd/glewlwyd-db.conf"$`, fmt.Sprintf(`database = { type = "sqlite3" path = %q };`, filepath.Join(dir, "glewlwyd.db"))})
	if err != nil {
		return nil, err
	}
	g.cmd = exec.Command(GlewlwydBin, "--config-file="+confPath)
	g.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	g.cmd.Stdout, g.cmd.Stderr = &g.logs, &g.logs
	if err := g.cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			g.Close()
		}
	}()
	jar, _ := cookiejar.New(nil)
	g.api = &http.Client{Jar: jar, Timeout: 10 * time.Second}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := g.api.Get(g.Base + "/config")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("glewlwyd did not answer in 20s: %w\n%s", err, g.logs.String())
		}
	}
	// The signing key: RS256, as relying parties such as go-oidc expect.
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	pub, _ := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	key := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}))
	cert := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	// The package's administrator, with its documented default password.
	calls := []apiCall{
		{"/api/auth/", map[string]any{"username": "admin", "password": "password"}},
		{"/api/mod/plugin/", map[string]any{
			"module": "oidc", "name": "oidc", "display_name": "OpenID Connect", "enabled": true,
			"parameters": map[string]any{
				"iss": g.Issuer(), "jwt-type": "rsa", "jwt-key-size": "256", "key": key, "cert": cert,
				"access-token-duration": 3600, "refresh-token-duration": 1209600, "code-duration": 600,
				"refresh-token-rolling": true, "refresh-token-one-use": "never", "allow-non-oidc": false,
				"auth-type-code-enabled": true, "auth-type-token-enabled": true, "auth-type-id-token-enabled": true,
				"auth-type-none-enabled": true, "auth-type-password-enabled": false, "auth-type-client-enabled": true,
				"auth-type-device-enabled": false, "auth-type-refresh-enabled": true,
				"scope": []any{}, "additional-parameters": []any{}, "claims": []any{}, "jwks-show": true,
				"secret-type": "pairwise", "subject-type": "public", "name-claim": "on-demand", "email-claim": "mandatory",
				"address-claim": map[string]any{"type": "no", "mandatory": false}, "request-parameter-allow": true,
			},
		}},
	}
	for _, sc := range []string{"email", "profile"} {
		calls = append(calls, apiCall{"/api/scope/", map[string]any{"name": sc, "display_name": sc, "description": "your " + sc,
			"password_required": true, "password_max_age": 0, "scheme": map[string]any{}}})
	}
	u := DemoUser
	calls = append(calls, apiCall{"/api/user/", map[string]any{"username": u.Email, "name": "Alice", "email": u.Email,
		"password": u.Password, "scope": []string{"openid", "email", "profile"}, "enabled": true}})
	for _, c := range calls {
		if err := g.call("POST", c.path, c.body); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// apiCall is a POST to glewlwyd's administration API.
type apiCall struct {
	path string
	body any
}

// Close stops glewlwyd.
func (g *Glewlwyd) Close() {
	g.cmd.Process.Kill()
	g.cmd.Wait()
}

// glewlwydWebappDir is the package's web app as served. Debian 12's package
// installs its config.json as a directory (/etc/glewlwyd/config-2.7.json/
// holding config.json), and links to files outside the app's directory,
// which glewlwyd's file server does not serve (its README says to serve
// the app with another web server), so the app would stay at
// "Loading...". The copy holds the files the links point to, and the
// packaged config.json where the app looks for it.
func glewlwydWebappDir(dir string) (string, error) {
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
		return "", fmt.Errorf("copying glewlwyd's web app: %w", err)
	}
	return web + "/", nil
}

// Issuer is glewlwyd's OpenID Connect issuer.
func (g *Glewlwyd) Issuer() string { return g.Base + "/api/oidc" }

// Register adds the backend's client; it is a Config's External hook.
func (g *Glewlwyd) Register(_ context.Context, c Client) (string, error) {
	if err := g.call("POST", "/api/auth/", map[string]any{"username": "admin", "password": "password"}); err != nil {
		return "", err
	}
	err := g.call("POST", "/api/client/", map[string]any{"client_id": c.ID, "name": "Example App", "confidential": true,
		"client_secret": c.Secret, "redirect_uri": c.RedirectURIs, "authorization_type": []string{"code", "refresh_token"},
		"token_endpoint_auth_method": []string{"client_secret_basic", "client_secret_post"}, "scope": []string{}, "enabled": true})
	return g.Issuer(), err
}

func (g *Glewlwyd) call(method, path string, body any) error {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, g.Base+path, r)
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.api.Do(req)
	if err != nil {
		return fmt.Errorf("glewlwyd %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("glewlwyd %s %s: %s %s", method, path, resp.Status, b)
	}
	return nil
}

// Edit replaces what the regular expression Re matches with With.
type Edit struct{ Re, With string }

// Rewrite writes to dst a package's file src with the edits made, each of
// which must match: a package whose file changed is an error here.
func Rewrite(src, dst string, edits ...Edit) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("the package's file: %w", err)
	}
	for _, e := range edits {
		re := regexp.MustCompile(e.Re)
		if !re.Match(b) {
			return fmt.Errorf("%s: nothing matches %s", src, e.Re)
		}
		b = re.ReplaceAll(b, []byte(e.With))
	}
	return os.WriteFile(dst, b, 0o600)
}

// FreePort is a port the OS just gave out, for a server that cannot listen
// on port 0 itself.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		return a.Port, nil
	}
	return 0, errors.New("no TCP port")
}
