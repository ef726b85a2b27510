package browser

import (
	"context"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/passkey"
)

// Passkeys. With Config.Passkey (CLILOGIN_WEBAUTHN_CREDENTIAL) or
// Config.EnrollPasskey, the login's page gets a virtual authenticator
// (Chrome's WebAuthn domain) before the login path is opened: it answers the
// identity provider's WebAuthn requests with the passkey, or registers a new
// one that Result.Passkey then holds. A script added to every document
// notes how the page's WebAuthn requests end, so that a refusal (no
// credential the IdP knows) ends the login at once, naming the step.

// webAuthnWatch wraps navigator.credentials.get and create: the last
// failure of a request that is not a conditional (autofill) one, while no
// other request runs and none has succeeded, is kept for the probe, which
// reports it as webauthn.
const webAuthnWatch = `(() => {
  const c = navigator.credentials;
  if (!c || c.__cliloginWatched) return;
  const state = { requests: 0, pending: 0, ok: 0, error: "" };
  Object.defineProperty(window, "__cliloginWebAuthn", { value: state });
  Object.defineProperty(c, "__cliloginWatched", { value: true });
  for (const name of ["get", "create"]) {
    const orig = c[name] && c[name].bind(c);
    if (!orig) continue;
    c[name] = function (opts) {
      const conditional = opts && opts.mediation === "conditional";
      if (!opts || !opts.publicKey) return orig(opts);
      state.requests++;
      state.pending++;
      return orig(opts).then((r) => { state.pending--; state.ok++; return r; }, (e) => {
        state.pending--;
        // A request refused while another one runs (a page that asks
        // twice), or after one succeeded, is not the answer.
        if (!conditional && e && e.name !== "AbortError" && state.pending === 0 && state.ok === 0) {
          state.error = name + ": " + e.name + ": " + e.message;
        }
        throw e;
      });
    };
  }
})();`

// addAuthenticator adds the virtual authenticator to the page target, with
// the passkey when one is given.
func (s *loginRun) addAuthenticator(ctx context.Context) error {
	c := s.cfg
	if c.Passkey == nil && !c.EnrollPasskey {
		return nil
	}
	fail := func(err error) error {
		return failure.New(failure.Browser, "use a Chromium that has the WebAuthn DevTools domain (any recent Chrome or Chromium)",
			"cannot add a virtual authenticator for the passkey: %w", err)
	}
	off := false
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{EnableUI: &off}); err != nil {
		return fail(err)
	}
	added, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Ctap2version:                webauthn.Ctap2versionCtap21,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true,
		}})
	if err != nil {
		return fail(err)
	}
	s.authenticator = added.AuthenticatorID
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: webAuthnWatch}); err != nil {
		return fail(err)
	}
	if c.Passkey == nil {
		c.Logf("added a virtual authenticator to register a passkey")
		return nil
	}
	count := c.Passkey.StartCount(time.Now())
	if _, err := chromedp.Call(ctx, addCredential, addCredentialParams{
		AuthenticatorID: s.authenticator,
		Credential: credentialParams{
			CredentialID:         c.Passkey.ID,
			IsResidentCredential: len(c.Passkey.UserHandle) > 0,
			RpID:                 c.Passkey.RPID,
			PrivateKey:           c.Passkey.PrivateKey,
			UserHandle:           c.Passkey.UserHandle,
			SignCount:            float64(count),
		}}); err != nil {
		// The DevTools error names no key material.
		return failure.New(failure.Usage, "set CLILOGIN_WEBAUTHN_CREDENTIAL to the whole line `clilogin passkey enroll` printed",
			"the browser refused the passkey of CLILOGIN_WEBAUTHN_CREDENTIAL: %w", err)
	}
	c.Logf("added a virtual authenticator with the passkey for %s (signature count from %d)", c.Passkey.RPID, count)
	return nil
}

// addCredential is WebAuthn.addCredential with only the fields a passkey
// needs: cdproto's Credential always sends generateCmtgKeyOnNextOperation,
// which Chromium refuses ("CMTG is not supported by this authenticator").
var addCredential = cdp.Command[addCredentialParams, cdp.Empty]{Method: webauthn.CommandAddCredential}

type addCredentialParams struct {
	AuthenticatorID webauthn.AuthenticatorID `json:"authenticatorId"`
	Credential      credentialParams         `json:"credential"`
}

type credentialParams struct {
	CredentialID         []byte  `json:"credentialId"`
	IsResidentCredential bool    `json:"isResidentCredential"`
	RpID                 string  `json:"rpId"`
	PrivateKey           []byte  `json:"privateKey"`
	UserHandle           []byte  `json:"userHandle,omitempty"`
	SignCount            float64 `json:"signCount"`
}

// onPasskey logs what the virtual authenticator did (WebAuthn events).
func (s *loginRun) onPasskey(ev any) {
	switch e := ev.(type) {
	case *webauthn.EventCredentialAdded:
		if e.Credential != nil {
			s.cfg.Logf("the identity provider's page registered a passkey for %s", e.Credential.RpID)
		}
	case *webauthn.EventCredentialAsserted:
		if e.Credential != nil {
			s.cfg.Logf("the virtual authenticator signed the identity provider's challenge with the passkey for %s (count %d)", e.Credential.RpID, int64(e.Credential.SignCount))
		}
	}
}

// enrolledPasskey reads back the passkey the identity provider's page
// registered with the virtual authenticator.
func (s *loginRun) enrolledPasskey() (*passkey.Credential, error) {
	ctx, cancel := context.WithTimeout(s.bctx, 5*time.Second)
	defer cancel()
	got, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: s.authenticator})
	if err != nil {
		return nil, failure.New(failure.Browser, "run again; if it keeps happening, run with -v", "cannot read the registered passkey: %w", err)
	}
	if len(got.Credentials) == 0 {
		return nil, failure.New(failure.Refused,
			"during the login, open the identity provider's page that adds a passkey or security key and register one there (in the window)",
			"the login finished, and no passkey was registered with the virtual authenticator")
	}
	cr := got.Credentials[len(got.Credentials)-1]
	s.cfg.Logf("read back the passkey registered for %s (%d registered)", cr.RpID, len(got.Credentials))
	return &passkey.Credential{ID: cr.CredentialID, RPID: cr.RpID, UserHandle: cr.UserHandle, PrivateKey: cr.PrivateKey,
		SignCount: uint32(max(cr.SignCount, 0))}, nil
}
