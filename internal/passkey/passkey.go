// Package passkey is the text form of a WebAuthn credential that clilogin
// presents to an identity provider through Chrome's virtual authenticator
// (CLILOGIN_WEBAUTHN_CREDENTIAL), and that `clilogin passkey enroll`
// prints.
//
// The form is the prefix "clilogin-webauthn-v1:" and the base64url (no
// padding) encoding of a JSON object:
//
//	{"id": "<credential ID, base64url>", "rp_id": "<relying party ID>",
//	 "user_handle": "<base64url>", "private_key": "<PKCS#8 DER, base64url>",
//	 "sign_count": <number>}
//
// The private key is an ECDSA P-256 key, the kind Chrome's virtual
// authenticator holds. Errors about a credential never show any of it.
package passkey

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/clilogin/clilogin/internal/failure"
)

// Prefix starts every credential's text form; its version says how the
// rest reads.
const Prefix = "clilogin-webauthn-v1:"

// EnvName is the environment variable that holds a credential.
const EnvName = "CLILOGIN_WEBAUTHN_CREDENTIAL"

// Credential is a WebAuthn credential.
type Credential struct {
	ID         []byte
	RPID       string
	UserHandle []byte
	PrivateKey []byte // PKCS#8 DER
	// SignCount is the count of the last signature the enrolling
	// authenticator made; see StartCount.
	SignCount uint32
}

type wire struct {
	ID         string `json:"id"`
	RPID       string `json:"rp_id"`
	UserHandle string `json:"user_handle,omitempty"`
	PrivateKey string `json:"private_key"`
	SignCount  uint32 `json:"sign_count"`
}

var b64 = base64.RawURLEncoding

// String is the credential's text form. It is a secret.
func (c Credential) String() string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(wire{ID: b64.EncodeToString(c.ID), RPID: c.RPID, UserHandle: b64.EncodeToString(c.UserHandle),
		PrivateKey: b64.EncodeToString(c.PrivateKey), SignCount: c.SignCount})
	return Prefix + b64.EncodeToString(bytes.TrimSpace(buf.Bytes()))
}

// Parse reads a credential's text form. Its errors are usage errors that
// say what is wrong and show nothing of the input.
func Parse(s string) (Credential, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, Prefix)
	if !ok {
		return Credential{}, bad("it does not start with %q", Prefix)
	}
	raw, err := b64.DecodeString(strings.TrimRight(rest, "="))
	if err != nil {
		return Credential{}, bad("the text after %q is not base64url", Prefix)
	}
	var w wire
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if dec.Decode(&w) != nil {
		return Credential{}, bad("its content is not the JSON object of a credential")
	}
	var c Credential
	field := func(name, v string, dst *[]byte, required bool) error {
		if v == "" && required {
			return bad("it has no %s", name)
		}
		b, err := b64.DecodeString(strings.TrimRight(v, "="))
		if err != nil {
			return bad("its %s is not base64url", name)
		}
		*dst = b
		return nil
	}
	if err := field("id", w.ID, &c.ID, true); err != nil {
		return Credential{}, err
	}
	if err := field("user_handle", w.UserHandle, &c.UserHandle, false); err != nil {
		return Credential{}, err
	}
	if err := field("private_key", w.PrivateKey, &c.PrivateKey, true); err != nil {
		return Credential{}, err
	}
	if w.RPID == "" {
		return Credential{}, bad("it has no rp_id (the identity provider's relying party ID, e.g. login.example.com)")
	}
	if len(c.UserHandle) > 64 {
		return Credential{}, bad("its user_handle is longer than 64 bytes")
	}
	key, err := x509.ParsePKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return Credential{}, bad("its private_key is not a PKCS#8 private key")
	}
	if k, ok := key.(*ecdsa.PrivateKey); !ok || k.Curve != elliptic.P256() {
		return Credential{}, bad("its private_key is not an ECDSA P-256 key")
	}
	c.RPID, c.SignCount = w.RPID, w.SignCount
	return c, nil
}

func bad(format string, args ...any) error {
	args = append([]any{EnvName}, args...)
	return failure.New(failure.Usage, "set it to the whole line `clilogin passkey enroll` printed",
		"%s is not a clilogin passkey credential: "+format, args...)
}

// countEpoch is where the clock-based signature count starts.
var countEpoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// StartCount is the signature count the virtual authenticator starts
// from: tenths of a second since 2026-01-01 at now (it fits the count's 32
// bits until 2039), or the credential's own count when that is higher.
// Identity providers that check the count want each signature's count
// higher than the last they saw; a count from the clock keeps growing from
// one CI run to the next without storing anything, as long as the runs
// start at least a tenth of a second apart and the clocks agree.
func (c Credential) StartCount(now time.Time) uint32 {
	t := uint32(max(now.Sub(countEpoch)/(100*time.Millisecond), 0))
	if c.SignCount > t {
		return c.SignCount
	}
	return t
}
