package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/clilogin/clilogin/internal/passkey"
)

// A CLILOGIN_WEBAUTHN_CREDENTIAL that is not a credential ends the login
// with exit 2 before any browser, and the message shows none of it.
func TestBadPasskeyIsAUsageErrorWithoutKeyMaterial(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	key := base64.RawURLEncoding.EncodeToString(der)
	for name, value := range map[string]string{
		"the key alone":       key,
		"a cut credential":    passkey.Credential{ID: []byte("id"), RPID: "localhost", PrivateKey: der}.String()[:60],
		"a key of other kind": passkey.Prefix + base64.RawURLEncoding.EncodeToString([]byte(`{"id":"aWQ","rp_id":"localhost","private_key":"`+key[:50]+`"}`)),
	} {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			dir := t.TempDir()
			env := envOf(map[string]string{passkey.EnvName: value, "XDG_CACHE_HOME": dir, "XDG_CONFIG_HOME": dir})
			code := Run(context.Background(), []string{"login", "-b", "http://127.0.0.1:1", "--headless", "--no-replay"}, env, IO{Out: &out, Err: &errb})
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d: %s", code, ExitUsage, errb.String())
			}
			if !strings.Contains(errb.String(), "clilogin: error: CLILOGIN_WEBAUTHN_CREDENTIAL is not a clilogin passkey credential") {
				t.Errorf("stderr = %q", errb.String())
			}
			for i := 0; i+12 <= len(value); i += 12 {
				if part := value[i : i+12]; strings.Contains(errb.String(), part) {
					t.Errorf("stderr shows part of the credential (%q): %s", part, errb.String())
				}
			}
		})
	}
}
