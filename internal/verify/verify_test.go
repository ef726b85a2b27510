package verify

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/failure"
)

// issuer is an OpenID Connect issuer on 127.0.0.1: its discovery document
// and its key set, with one RSA key.
type issuer struct {
	url string
	key *rsa.PrivateKey
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{key: key}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]any{"issuer": is.url, "jwks_uri": is.url + "/keys",
				"authorization_endpoint": is.url + "/auth", "token_endpoint": is.url + "/token",
				"id_token_signing_alg_values_supported": []string{"RS256"}})
		case "/keys":
			b64 := base64.RawURLEncoding.EncodeToString
			json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
				"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	is.url = srv.URL
	return is
}

// sign returns an RS256 JWT of claims signed with key.
func sign(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	head, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "k1"})
	body, _ := json.Marshal(claims)
	in := b64(head) + "." + b64(body)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + b64(sig)
}

func TestToken(t *testing.T) {
	is := newIssuer(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := func(iss string, exp time.Time) map[string]any {
		return map[string]any{"iss": iss, "sub": "alice", "aud": "backend", "iat": now.Unix(), "exp": exp.Unix()}
	}
	for _, tt := range []struct {
		name  string
		token string
		kind  failure.Kind // Internal: no error
		says  string
	}{
		{"signed by the issuer", sign(t, is.key, claims(is.url, now.Add(time.Hour))), failure.Internal, ""},
		{"signed by another key", sign(t, other, claims(is.url, now.Add(time.Hour))), failure.Refused, "does not verify"},
		{"expired", sign(t, is.key, claims(is.url, now.Add(-time.Hour))), failure.Refused, "it has expired"},
		{"another issuer", sign(t, is.key, claims("https://elsewhere.example", now.Add(time.Hour))), failure.Refused, "does not verify"},
		{"not a JWT", "opaque-s3cret-token-value", failure.Refused, "does not verify"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Token(context.Background(), is.url, tt.token)
			if tt.kind == failure.Internal {
				if err != nil {
					t.Fatalf("Token: %v", err)
				}
				return
			}
			if failure.KindOf(err) != tt.kind || !strings.Contains(fmt.Sprint(err), tt.says) {
				t.Fatalf("Token: %v (%v), want %v saying %q", err, failure.KindOf(err), tt.kind, tt.says)
			}
			if strings.Contains(err.Error(), tt.token) || strings.Contains(err.Error(), strings.Split(tt.token, ".")[len(strings.Split(tt.token, "."))-1]) {
				t.Errorf("the error repeats the token: %v", err)
			}
			if failure.HintOf(err) == "" {
				t.Error("no hint")
			}
		})
	}
}

func TestTokenIssuerUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/realms/x?secret=s3cret"
	srv.Close()
	err := Token(context.Background(), url, "a.b.c")
	if failure.KindOf(err) != failure.Unreachable || !strings.Contains(err.Error(), "cannot read the issuer's keys") {
		t.Fatalf("Token with an issuer that is down: %v (%v), want unreachable", err, failure.KindOf(err))
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the error shows the issuer URL's secret: %v", err)
	}
}

// TestDiscoveryIsBounded: an issuer whose discovery document never ends is
// read up to a bound, not into memory until the timeout.
func TestDiscoveryIsBounded(t *testing.T) {
	const served = 256 << 20 // what a hostile issuer sends at most here
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		chunk := []byte(`{"issuer":"` + strings.Repeat("a", 64<<10))
		for sent.Load() < served {
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
			chunk = []byte(strings.Repeat("a", 64<<10))
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := Token(ctx, srv.URL, "a.b.c")
	if err == nil {
		t.Fatal("an endless discovery document was accepted")
	}
	srv.CloseClientConnections()
	if n := sent.Load(); n > 32<<20 {
		t.Errorf("%d bytes of the discovery document were read; want at most about 1 MiB", n)
	}
	if !strings.Contains(err.Error(), "larger than") {
		t.Errorf("error %q does not say the answer was too large", err)
	}
}
