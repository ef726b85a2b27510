package passkey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/failure"
)

func newCredential(t *testing.T) Credential {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return Credential{ID: []byte("credential-id-\x00\xff"), RPID: "login.localhost", UserHandle: []byte("user-1"), PrivateKey: der, SignCount: 7}
}

func TestTextFormRoundTrips(t *testing.T) {
	c := newCredential(t)
	s := c.String()
	if !strings.HasPrefix(s, Prefix) || strings.ContainsAny(s, " \n=+/") {
		t.Fatalf("text form %q is not one base64url line after the prefix", s)
	}
	got, err := Parse("  " + s + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("round trip: got %+v, want %+v", got, c)
	}
}

func TestBadInputIsAUsageErrorThatShowsNoKey(t *testing.T) {
	c := newCredential(t)
	keyText := base64.RawURLEncoding.EncodeToString(c.PrivateKey)
	enc := func(json string) string { return Prefix + base64.RawURLEncoding.EncodeToString([]byte(json)) }
	rsa := "MIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA" // not even a whole key
	tests := []struct{ name, in, want string }{
		{"empty", "", "does not start with"},
		{"the key alone", keyText, "does not start with"},
		{"not base64url", Prefix + "!!" + keyText, "is not base64url"},
		{"not JSON", Prefix + keyText, "is not the JSON object"},
		{"unknown field", enc(`{"id":"YQ","rp_id":"x","private_key":"` + keyText + `","pin":"1"}`), "is not the JSON object"},
		{"no id", enc(`{"rp_id":"x","private_key":"` + keyText + `"}`), "has no id"},
		{"no rp_id", enc(`{"id":"YQ","private_key":"` + keyText + `"}`), "has no rp_id"},
		{"no key", enc(`{"id":"YQ","rp_id":"x"}`), "has no private_key"},
		{"key not base64url", enc(`{"id":"YQ","rp_id":"x","private_key":"` + keyText + `*"}`), "private_key is not base64url"},
		{"key not PKCS#8", enc(`{"id":"YQ","rp_id":"x","private_key":"` + keyText[:40] + `"}`), "not a PKCS#8 private key"},
		{"truncated other key", enc(`{"id":"YQ","rp_id":"x","private_key":"` + rsa + `"}`), "not a PKCS#8 private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			if err == nil {
				t.Fatal("accepted")
			}
			if failure.KindOf(err) != failure.Usage {
				t.Errorf("kind %v, want usage (exit 2)", failure.KindOf(err))
			}
			msg := err.Error() + failure.HintOf(err)
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, EnvName) {
				t.Errorf("error %q does not say %q and name %s", msg, tt.want, EnvName)
			}
			if strings.Contains(msg, keyText[:16]) || strings.Contains(msg, keyText[40:56]) {
				t.Errorf("error shows key material: %q", msg)
			}
		})
	}
}

func TestStartCountGrowsWithTheClock(t *testing.T) {
	c := newCredential(t)
	now := countEpoch.Add(10 * time.Second)
	if got := c.StartCount(now); got != 100 {
		t.Errorf("StartCount = %d, want 100 tenths of a second", got)
	}
	if later := c.StartCount(now.Add(100 * time.Millisecond)); later <= c.StartCount(now) {
		t.Errorf("a later run starts at %d, not above %d", later, c.StartCount(now))
	}
	c.SignCount = 1_900_000_000
	if got := c.StartCount(now); got != 1_900_000_000 {
		t.Errorf("a higher stored count is not kept: %d", got)
	}
}

func TestStartCountFitsUntil2039(t *testing.T) {
	var c Credential
	at := time.Date(2039, time.January, 1, 0, 0, 0, 0, time.UTC)
	if got, prev := c.StartCount(at), c.StartCount(at.Add(-time.Second)); got <= prev {
		t.Errorf("the count wrapped before 2039: %d after %d", got, prev)
	}
}
