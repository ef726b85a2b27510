// Package verify checks a token's signature against its issuer's published
// keys (OpenID Connect discovery and JWKS), with a maintained library.
package verify

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/hop"
	"github.com/clilogin/clilogin/internal/redact"
)

// Token checks that token is a JWT signed by issuer's keys, issued by
// issuer and not expired. The audience is not checked: clilogin does not
// know the backend's client ID.
func Token(ctx context.Context, issuer, token string) error {
	ctx = oidc.ClientContext(ctx, &http.Client{Timeout: 15 * time.Second})
	p, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return failure.New(failure.Unreachable, "check --verify-issuer: the IdP's issuer URL, as in its /.well-known/openid-configuration",
			"cannot read the issuer's keys at %s: %w", redact.URL(issuer), hop.Cause(err)) // the URL once, redacted
	}
	if _, err := p.Verifier(&oidc.Config{SkipClientIDCheck: true}).Verify(ctx, token); err != nil {
		return failure.New(failure.Refused, "the backend handed out a token the issuer did not sign; do not use it, and tell the backend's owners",
			"the token does not verify against %s: %s", redact.URL(issuer), verifyReason(err))
	}
	return nil
}

// verifyReason says why without repeating the token.
func verifyReason(err error) string {
	switch err.(type) {
	case *oidc.TokenExpiredError:
		return "it has expired"
	}
	return fmt.Sprint(err)
}
