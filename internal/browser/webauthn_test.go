package browser

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/marker"
	"github.com/clilogin/clilogin/internal/passkey"
)

// passkeyIdP is a relying party on localhost that asks for a passkey (its
// page calls navigator.credentials.get) and really checks the assertion:
// the challenge, the origin, the relying party's hash, the user presence
// flag, a signature count above the last one, and the ECDSA signature with
// the public key it registered. With enroll its page registers a passkey
// (navigator.credentials.create) instead.
type passkeyIdP struct {
	t       *testing.T
	base    string
	backend string
	enroll  bool

	mu        sync.Mutex
	challenge []byte
	credID    []byte
	public    *ecdsa.PublicKey
	count     uint32
	accepted  int
}

const passkeyPage = `<!DOCTYPE html><html><head><title>Security key</title></head><body>
<h2>Use your passkey</h2><p id="msg">Waiting for your security key…</p>
<form id="f" method="post" action="/%s"><input type="hidden" name="r" id="r"></form>
<script>
const dec = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const enc = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const done = (o) => { document.getElementById("r").value = JSON.stringify(o); document.getElementById("f").submit(); };
const fail = (e) => { document.getElementById("msg").textContent = "Your security key was not accepted."; document.getElementById("msg").className = "error"; };
const ch = dec(%q), id = %q;
if (%t) {
  navigator.credentials.create({ publicKey: { challenge: ch, rp: { id: location.hostname, name: "Test" },
    user: { id: new TextEncoder().encode("user-42"), name: "alice", displayName: "Alice" },
    pubKeyCredParams: [{ type: "public-key", alg: -7 }], authenticatorSelection: { residentKey: "required", userVerification: "preferred" } } })
    .then((c) => done({ id: enc(c.rawId), key: enc(c.response.getPublicKey()) }), fail);
} else {
  navigator.credentials.get({ publicKey: { challenge: ch, rpId: location.hostname, timeout: 10000, userVerification: "preferred",
    allowCredentials: id ? [{ type: "public-key", id: dec(id) }] : [] } })
    .then((a) => done({ id: enc(a.rawId), cd: enc(a.response.clientDataJSON), ad: enc(a.response.authenticatorData), sig: enc(a.response.signature) }), fail);
}
</script></body></html>`

var b64u = base64.RawURLEncoding

func (p *passkeyIdP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var got map[string]string
	if r.Method == http.MethodPost {
		r.ParseForm()
		if err := json.Unmarshal([]byte(r.PostForm.Get("r")), &got); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
	}
	switch {
	case r.URL.Path == "/authorize":
		p.challenge = make([]byte, 32)
		rand.Read(p.challenge)
		action := "assert"
		if p.enroll {
			action = "register"
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, passkeyPage, action, b64u.EncodeToString(p.challenge), b64u.EncodeToString(p.credID), p.enroll)
	case r.URL.Path == "/register":
		id, _ := b64u.DecodeString(got["id"])
		der, _ := b64u.DecodeString(got["key"])
		key, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			http.Error(w, "bad key", http.StatusBadRequest)
			return
		}
		p.credID, p.public = id, key.(*ecdsa.PublicKey)
		http.Redirect(w, r, p.backend+"/callback", http.StatusSeeOther)
	case r.URL.Path == "/assert":
		if err := p.verify(got); err != nil {
			p.t.Logf("the relying party refused the assertion: %v", err)
			http.Error(w, "passkey refused", http.StatusForbidden)
			return
		}
		p.accepted++
		http.Redirect(w, r, p.backend+"/callback", http.StatusSeeOther)
	default:
		http.NotFound(w, r)
	}
}

func (p *passkeyIdP) verify(got map[string]string) error {
	id, _ := b64u.DecodeString(got["id"])
	cd, _ := b64u.DecodeString(got["cd"])
	ad, _ := b64u.DecodeString(got["ad"])
	sig, _ := b64u.DecodeString(got["sig"])
	if !bytes.Equal(id, p.credID) {
		return fmt.Errorf("unknown credential")
	}
	var client struct{ Type, Challenge, Origin string }
	if err := json.Unmarshal(cd, &client); err != nil || client.Type != "webauthn.get" || client.Challenge != b64u.EncodeToString(p.challenge) || client.Origin != p.base {
		return fmt.Errorf("client data %s", cd)
	}
	rpHash := sha256.Sum256([]byte("localhost"))
	if len(ad) < 37 || !bytes.Equal(ad[:32], rpHash[:]) || ad[32]&1 == 0 {
		return fmt.Errorf("authenticator data")
	}
	if count := binary.BigEndian.Uint32(ad[33:37]); count <= p.count {
		return fmt.Errorf("signature count %d not above %d", count, p.count)
	} else {
		p.count = count
	}
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	if !ecdsa.VerifyASN1(p.public, digest[:], sig) {
		return fmt.Errorf("bad signature")
	}
	return nil
}

func (p *passkeyIdP) login(t *testing.T, edit func(*Config)) (*Result, error) {
	t.Helper()
	u, _ := url.Parse(p.backend)
	c := Config{
		Remote: devtools, Headless: true, Backend: &backend.Backend{URL: u}, LoginPath: "/login", CallbackPath: "/callback",
		Marker: marker.Marker{Kind: "text", Value: "ok"}, CookieURLs: []string{p.backend + "/"}, Deadline: time.Now().Add(20 * time.Second),
	}
	edit(&c)
	res, err := Login(t.Context(), c)
	if res != nil {
		res.Wait()
	}
	return res, err
}

func newPasskeyIdP(t *testing.T) *passkeyIdP {
	p := &passkeyIdP{t: t}
	isrv := httptest.NewServer(p)
	t.Cleanup(isrv.Close)
	p.base = strings.Replace(isrv.URL, "127.0.0.1", "localhost", 1)
	bsrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			http.Redirect(w, r, p.base+"/authorize", http.StatusFound)
		case "/callback":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "s", Path: "/"})
			fmt.Fprint(w, "ok")
		}
	}))
	t.Cleanup(bsrv.Close)
	p.backend = bsrv.URL
	return p
}

// A passkey registered by the IdP's page with the virtual authenticator is
// read back; presented in later logins it passes the relying party's
// checks (signature, counter above the last) each time; a passkey the IdP
// does not know ends the login at once with a refusal naming the step.
func TestPasskeyEnrollThenSignIn(t *testing.T) {
	needBrowser(t)
	p := newPasskeyIdP(t)
	p.enroll = true
	res, err := p.login(t, func(c *Config) { c.EnrollPasskey = true })
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	got := res.Passkey
	if got == nil || !bytes.Equal(got.ID, p.credID) || got.RPID != "localhost" || string(got.UserHandle) != "user-42" {
		t.Fatalf("enrolled passkey %v, want the registered credential", got != nil)
	}
	// Through its text form, as CI gets it.
	pk, err := passkey.Parse(got.String())
	if err != nil {
		t.Fatal(err)
	}

	p.enroll = false
	for i := range 2 {
		if _, err := p.login(t, func(c *Config) { c.Passkey = &pk }); err != nil {
			t.Fatalf("sign-in %d with the enrolled passkey: %v", i+1, err)
		}
	}
	if p.accepted != 2 {
		t.Errorf("the relying party accepted %d assertions, want 2", p.accepted)
	}

	other := newTestPasskey(t)
	_, err = p.login(t, func(c *Config) { c.Passkey = &other })
	if failure.KindOf(err) != failure.Refused || !strings.Contains(err.Error(), "passkey step (WebAuthn)") {
		t.Fatalf("unknown passkey: err = %v (%v), want a refusal naming the passkey step", err, failure.KindOf(err))
	}
	if strings.Contains(err.Error(), b64u.EncodeToString(other.PrivateKey)[:12]) {
		t.Error("the error shows key material")
	}
}

func newTestPasskey(t *testing.T) passkey.Credential {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return passkey.Credential{ID: []byte("unknown-credential"), RPID: "localhost", UserHandle: []byte("user-42"), PrivateKey: der}
}
