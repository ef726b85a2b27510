package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clilogin/clilogin/devstack"
)

// LemonLDAP::NG (Debian's liblemonldap-ng-portal-perl) is an IdP whose
// portal is server-rendered: a login form under a yellow "Authentication
// required" notice, a consent page listing what the application asks for,
// and error banners. It runs from the package's own configuration (the
// Demo authentication with its three users, the package's skin and
// templates) and its own index.psgi, under plackup as the package's Apache
// conf would serve it (testdata/idps/lemonldap/server.psgi). What a test
// changes is what any deployment changes: where it listens and keeps its
// files, the OpenID Connect issuer turned on with a signing key, and the
// backend's client (the relying party), whose id_token carries the claims
// because the seed backend reads the email from it.
const (
	plackupBin    = "/usr/bin/plackup"
	lemonLDAPPSGI = "/usr/share/lemonldap-ng/portal/htdocs/index.psgi"
	lemonLDAPConf = "/var/lib/lemonldap-ng/conf/lmConf-1.json"
	lemonLDAPINI  = "/etc/lemonldap-ng/lemonldap-ng.ini"
)

// lemonLDAPUser is one of the package's Demo users; its password is its
// name.
const lemonLDAPUser, lemonLDAPMail = "rtyler", "rtyler@badwolf.org"

// lockedBuffer collects a child's output while a test may read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startLemonLDAP runs the portal on localhost with the client registered,
// and returns its issuer URL.
func startLemonLDAP(t *testing.T, c devstack.Client) string {
	t.Helper()
	return startLemonLDAPWith(t, c, lemonLDAPSetup{})
}

// lemonLDAPSetup is how a test's portal differs from startLemonLDAP's.
type lemonLDAPSetup struct {
	port int // 0: a free one
	// certFile and keyFile (PEM), when set, serve the portal over https.
	certFile, keyFile string
	// settings of the portal's configuration, changed as its manager would.
	settings map[string]any
}

// startLemonLDAPWith is startLemonLDAP as setup says.
func startLemonLDAPWith(t *testing.T, c devstack.Client, setup lemonLDAPSetup) string {
	t.Helper()
	need(t, "plackup", plackupBin)
	if _, err := os.Stat(lemonLDAPPSGI); err != nil {
		msg := "LemonLDAP::NG's portal not found; install it with scripts/deps.sh test"
		if os.Getenv("CI") == "true" {
			t.Fatal("CI: " + msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	for _, d := range []string{"conf", "sessions/lock", "psessions/lock", "cache", "notifications"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	port, scheme, listen := setup.port, "http", ""
	if port == 0 {
		port = freePort(t)
	}
	if setup.certFile != "" {
		scheme, listen = "https", ":ssl"
	}
	base := fmt.Sprintf("%s://localhost:%d", scheme, port)
	if port == map[string]int{"http": 80, "https": 443}[scheme] {
		base = scheme + "://localhost"
	}

	var conf map[string]any
	b, err := os.ReadFile(lemonLDAPConf)
	if err == nil {
		err = json.Unmarshal(b, &conf)
	}
	if err != nil {
		t.Fatalf("the package's configuration: %v", err)
	}
	sub := func(key string) map[string]any {
		m, ok := conf[key].(map[string]any)
		if !ok {
			t.Fatalf("%s: no %s object", lemonLDAPConf, key)
		}
		return m
	}
	conf["portal"] = base + "/"
	conf["domain"] = "localhost"
	for key, d := range map[string]string{"globalStorageOptions": "sessions", "persistentStorageOptions": "psessions"} {
		sub(key)["Directory"] = filepath.Join(dir, d)
		sub(key)["LockDirectory"] = filepath.Join(dir, d, "lock")
	}
	sub("localSessionStorageOptions")["cache_root"] = filepath.Join(dir, "cache")
	sub("notificationStorageOptions")["dirName"] = filepath.Join(dir, "notifications")

	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	conf["issuerDBOpenIDConnectActivation"] = 1
	conf["oidcServicePrivateKeySig"] = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}))
	conf["oidcServicePublicKeySig"] = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	conf["oidcServiceKeyIdSig"] = "clilogin-e2e"
	conf["oidcRPMetaDataOptions"] = map[string]any{"backend": map[string]any{
		"oidcRPMetaDataOptionsDisplayName":        "Example App",
		"oidcRPMetaDataOptionsClientID":           c.ID,
		"oidcRPMetaDataOptionsClientSecret":       c.Secret,
		"oidcRPMetaDataOptionsRedirectUris":       strings.Join(c.RedirectURIs, " "),
		"oidcRPMetaDataOptionsIDTokenSignAlg":     "RS256",
		"oidcRPMetaDataOptionsIDTokenForceClaims": 1,
	}}
	conf["oidcRPMetaDataExportedVars"] = map[string]any{"backend": map[string]any{"email": "mail", "name": "cn", "preferred_username": "uid"}}
	for k, v := range setup.settings {
		conf[k] = v
	}
	b, _ = json.MarshalIndent(conf, "", " ")
	if err := os.WriteFile(filepath.Join(dir, "conf", "lmConf-1.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}

	iniPath := filepath.Join(dir, "lemonldap-ng.ini")
	rewrite(t, lemonLDAPINI, iniPath,
		edit{`(?m)^dirName\s*=.*$`, "dirName = " + filepath.Join(dir, "conf")},
		edit{`'cache_root'\s*=>\s*'[^']*'`, fmt.Sprintf("'cache_root' => '%s'", filepath.Join(dir, "cache"))})

	server, _ := filepath.Abs("../../testdata/idps/lemonldap/server.psgi")
	args := []string{"-s", "Starman"}
	if setup.certFile != "" { // not after --preload-app, which plackup gives the next word as its value
		args = append(args, "--ssl-cert", setup.certFile, "--ssl-key", setup.keyFile)
	}
	args = append(args, "--workers", "4", "--preload-app", "--listen", fmt.Sprintf("127.0.0.1:%d%s", port, listen), "--access-log", os.DevNull, "--app", server)
	cmd := exec.Command(plackupBin, args...)
	cmd.Env = append(os.Environ(), "LLNG_DEFAULTCONFFILE="+iniPath)
	// Starman forks workers: the group is killed at the end, and a worker
	// whose master died first does not hold the log pipe open.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	logs := new(lockedBuffer)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		if t.Failed() {
			t.Logf("LemonLDAP::NG logs:\n%s", logs.String())
		}
	})
	// The test's own certificate is trusted by this check only.
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: setup.certFile != ""}}}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := client.Get(base + "/.well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
			err = fmt.Errorf("%s", resp.Status)
		}
		if time.Now().After(deadline) {
			t.Fatalf("LemonLDAP::NG did not answer in 30s: %v\n%s", err, logs.String())
		}
	}
	return base + "/"
}

// LemonLDAP::NG's own portal, with the seed article's Flask backend as
// published: the form under its "Authentication required" notice, the
// consent page, a wrong password, cold logins in a row, a warm login on
// the portal's session, and a headed window under Xvfb.
func TestLoginLemonLDAPPortal(t *testing.T) {
	need(t, "Chromium", browserPaths["shell"])
	needPython(t, "flask", "requests_oauthlib", "jwt", "cryptography")
	_, f, url := listen(t)
	issuer := startLemonLDAP(t, devstack.Client{ID: "seed-flask", Secret: "seed-secret", RedirectURIs: []string{url + "/callback"}})
	startPython(t, "seed-flask", f, url, "SEED_WELL_KNOWN_URL="+strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration",
		"SEED_CLIENT_ID=seed-flask", "SEED_CLIENT_SECRET=seed-secret", "OAUTHLIB_INSECURE_TRANSPORT=1")
	args := func(profile string, extra ...string) []string {
		return append([]string{"login", "--backend", url, "--headless", "--username", lemonLDAPUser,
			"--profile", profile, "--timeout", "30s"}, extra...)
	}
	pass := "CLILOGIN_PASSWORD=" + lemonLDAPUser

	wrong := clilogin(t, run{args: args(filepath.Join(t.TempDir(), "p")), env: []string{"CLILOGIN_PASSWORD=wrong-password"}})
	wantCode(t, wrong, 4)
	wantContains(t, "stderr", wrong.stderr, "the identity provider refused the sign-in: Wrong credentials")

	var home, profile string
	first := coldLogins(t, "lemonldap-ng", func(p string) run {
		home, profile = t.TempDir(), p
		return run{args: args(p, "-v", "--expect-identity", lemonLDAPMail), home: home, env: []string{pass}}
	})
	wantContains(t, "-v log", first.stderr, "passed consent")

	// Signed in again without credentials, on the portal's session: first
	// replayed over HTTP, then in the browser (the session restored into
	// the profile, as the portal's cookie lives only as long as a browser).
	for _, extra := range [][]string{nil, {"--no-replay"}} {
		warm := clilogin(t, run{args: append([]string{"login", "--backend", url, "--headless", "--profile", profile, "--timeout", "30s", "-v"}, extra...), home: home})
		wantCode(t, warm, 0)
		wantContains(t, "stdout", warm.stdout, "as "+lemonLDAPMail)
		if strings.Contains(warm.stderr, "filled") || strings.Contains(warm.stderr, "passed consent") {
			t.Errorf("login %s filled a form or passed consent again:\n%s", strings.Join(extra, " "), warm.stderr)
		}
		t.Logf("login %s:\n%s", strings.Join(extra, " "), warm.stderr)
	}

	t.Run("headed under Xvfb", func(t *testing.T) {
		need(t, "Chromium", browserPaths["chromium"])
		display := startXvfb(t)
		r := clilogin(t, run{args: []string{"login", "--backend", url, "--headless=false", "--browser", browserPaths["chromium"],
			"--username", lemonLDAPUser, "--profile", filepath.Join(t.TempDir(), "p"), "--timeout", "40s", "--expect-identity", lemonLDAPMail, "-v"},
			env: []string{pass, "DISPLAY=" + display}, timeout: 90 * time.Second})
		wantCode(t, r, 0)
	})
}
