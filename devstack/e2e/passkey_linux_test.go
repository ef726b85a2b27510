package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"

	"github.com/clilogin/clilogin/devstack"
)

// LemonLDAP::NG's own WebAuthn second factor (libauthen-webauthn-perl), on
// http://localhost (a secure context, a name WebAuthn accepts as relying
// party). A person enrolls a passkey with `clilogin passkey enroll` in a
// window: signs in, opens the portal's own "register a second factor" page,
// registers (clilogin's virtual authenticator answers), and signs in to the
// backend. Then CI signs in headless with only the password and the printed
// passkey, twice (the signature count is checked by the IdP); and with a
// passkey the IdP does not know, the login ends at once with exit 4 naming
// the step.
func TestPasskeyLemonLDAPWebAuthn(t *testing.T) {
	need(t, "Chromium", browserPaths["chromium"])
	need(t, "Chromium", browserPaths["shell"])
	needPython(t, "flask", "requests_oauthlib", "jwt", "cryptography")
	_, f, url := listen(t)
	// LemonLDAP::NG 2.16 takes the portal's host *and port* as its relying
	// party ID (Lib/WebAuthn.pm: "TODO make this configurable"), which no
	// browser accepts (an RP ID is a domain), and asks for the appid
	// extension with the portal's origin, which Chrome refuses unless it is
	// https ("This is an invalid domain"). Its WebAuthn works only as it is
	// deployed: https on the default port. So this portal is served at
	// https://localhost (127.0.0.1:443, the suite's one fixed port) with a
	// certificate of the test's own, which the browser is told to trust by
	// its key (--ignore-certificate-errors-spki-list): for Chrome it is a
	// valid certificate, as WebAuthn requires.
	if l, err := net.Listen("tcp", "127.0.0.1:443"); err != nil {
		msg := "LemonLDAP::NG's WebAuthn needs port 443 on 127.0.0.1: " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal("CI: " + msg)
		}
		t.Skip(msg)
	} else {
		l.Close()
	}
	certFile, keyFile, spki := localhostCert(t)
	trust := "--browser-arg=--ignore-certificate-errors-spki-list=" + spki
	issuer := startLemonLDAPWith(t, devstack.Client{ID: "seed-flask", Secret: "seed-secret", RedirectURIs: []string{url + "/callback"}},
		lemonLDAPSetup{port: 443, certFile: certFile, keyFile: keyFile,
			settings: map[string]any{"webauthn2fActivation": 1, "webauthn2fSelfRegistration": 1}})
	startPython(t, "seed-flask", f, url, "SEED_WELL_KNOWN_URL="+strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration",
		"SEED_CLIENT_ID=seed-flask", "SEED_CLIENT_SECRET=seed-secret", "OAUTHLIB_INSECURE_TRANSPORT=1",
		"REQUESTS_CA_BUNDLE="+certFile, "SSL_CERT_FILE="+certFile) // the backend trusts the IdP's certificate, as a deployment's would

	// 1. Enroll, in a window; this test is the person at it.
	display := startXvfb(t)
	home := t.TempDir()
	profile := filepath.Join(home, "profile")
	p := startCLI(t, run{home: home, args: []string{"passkey", "enroll", "-b", url, "--profile", profile, "--browser", browserPaths["chromium"],
		"--no-consent", "--timeout", "90s", "-v", "--browser-arg=--remote-debugging-port=0", trust}, env: []string{"DISPLAY=" + display}})
	port := devToolsPort(t, profile, p.done)
	tab := attachWindow(t, port)
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			p.mu.Lock()
			defer p.mu.Unlock()
			t.Fatalf("the person could not %s: %v\n%s", what, err, p.stderr.String())
		}
	}
	step("sign in",
		chromedp.WaitVisible(chromedp.CSS("input[type=password]")),
		chromedp.SendKeys(chromedp.CSS("input[name=user]"), lemonLDAPUser),
		chromedp.SendKeys(chromedp.CSS("input[type=password]"), lemonLDAPUser+"\r"))
	p.waitFor(t, "a consent page")
	step("register a passkey on the portal's own page",
		chromedp.Navigate(issuer+"2fregisters/webauthn"),
		chromedp.WaitVisible(chromedp.ID("register")),
		chromedp.Click(chromedp.ID("register")),
		chromedp.WaitVisible(chromedp.CSS(`#msg[trspan=yourKeyIsRegistered]`)))
	step("sign in to the backend again", chromedp.Navigate(url+"/login"))
	step("accept the consent", chromedp.WaitVisible(chromedp.CSS("button.positive")), chromedp.Click(chromedp.CSS("button.positive")))
	r := p.wait(t, time.Now())
	wantCode(t, r, 0)
	line := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(line, "clilogin-webauthn-v1:") || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("stdout is not one credential line: %q\n%s", r.stdout, r.stderr)
	}
	wantContains(t, "stderr", r.stderr, "clilogin: warning: the line on stdout is a secret")
	if strings.Contains(r.stderr, line[len("clilogin-webauthn-v1:"):][:24]) {
		t.Error("stderr shows the credential")
	}
	wantContains(t, "-v log", r.stderr, "the identity provider's page registered a passkey for localhost")
	t.Logf("enrolled:\n%s", r.stderr)

	// 2. CI: headless, the password and the passkey only; twice.
	ci := func(credential string) result {
		return clilogin(t, run{args: []string{"login", "-b", url, "--headless", "--browser", browserPaths["chromium"], "-u", lemonLDAPUser, "--profile", filepath.Join(t.TempDir(), "p"),
			"--timeout", "40s", "-v", "--expect-identity", lemonLDAPMail, trust},
			env: []string{"CLILOGIN_PASSWORD=" + lemonLDAPUser, "CLILOGIN_WEBAUTHN_CREDENTIAL=" + credential}, timeout: 90 * time.Second})
	}
	for i := range 2 {
		r := ci(line)
		wantCode(t, r, 0)
		wantContains(t, "-v log", r.stderr, "added a virtual authenticator with the passkey for localhost")
		// LemonLDAP::NG shows its WebAuthn check at the authorize URL; the
		// virtual authenticator's event says the challenge was signed.
		wantContains(t, "-v log", r.stderr, "the virtual authenticator signed the identity provider's challenge with the passkey for localhost")
		if strings.Contains(r.stderr, line[len("clilogin-webauthn-v1:"):][:24]) {
			t.Errorf("login %d shows the credential", i+1)
		}
	}

	// 3. A passkey the IdP does not know: exit 4 at once, naming the step.
	bad := ci(unknownPasskey(t))
	wantCode(t, bad, 4)
	wantContains(t, "stderr", bad.stderr, "the identity provider's passkey step (WebAuthn) at "+issuer+"oauth2/authorize?")
	wantContains(t, "stderr", bad.stderr, "failed: the passkey of CLILOGIN_WEBAUTHN_CREDENTIAL was not accepted (get: NotAllowedError")
	t.Logf("unknown passkey:\n%s", bad.stderr)
}

// attachWindow attaches to the one page of the Chrome at the DevTools port.
func attachWindow(t *testing.T, port string) context.Context {
	t.Helper()
	resp, err := http.Get("http://127.0.0.1:" + port + "/json/list")
	if err != nil {
		t.Fatal(err)
	}
	var targets []struct{ ID, Type string }
	err = json.NewDecoder(resp.Body).Decode(&targets)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var page string
	for _, ti := range targets {
		if ti.Type == "page" {
			page = ti.ID
		}
	}
	actx, acancel := remote.NewAllocator(context.Background(), "http://127.0.0.1:"+port)
	t.Cleanup(acancel)
	tab, tcancel := chromedp.NewContext(actx, chromedp.WithTargetID(target.ID(page)))
	t.Cleanup(tcancel)
	// Attached by a first run without a timeout: a timeout on it would
	// close the window when it ends.
	if err := chromedp.Do(tab); err != nil {
		t.Fatal(err)
	}
	return tab
}

// unknownPasskey is a well-formed credential for localhost that no IdP
// knows, in clilogin's text form (docs/terminal-and-passkeys.md).
func unknownPasskey(t *testing.T) string {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	b64 := base64.RawURLEncoding
	j, _ := json.Marshal(map[string]any{"id": b64.EncodeToString([]byte("not-registered-here")), "rp_id": "localhost",
		"user_handle": b64.EncodeToString([]byte("rtyler")), "private_key": b64.EncodeToString(der), "sign_count": 0})
	return "clilogin-webauthn-v1:" + b64.EncodeToString(j)
}

// localhostCert writes a self-signed certificate for localhost and its key
// (PEM files) and returns them with the base64 SHA-256 of its public key,
// for Chrome's --ignore-certificate-errors-spki-list.
func localhostCert(t *testing.T) (certFile, keyFile, spki string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048) // Starman's TLS finds no cipher for an ECDSA key
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(k)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	sum := sha256.Sum256(pub)
	return certFile, keyFile, base64.StdEncoding.EncodeToString(sum[:])
}
