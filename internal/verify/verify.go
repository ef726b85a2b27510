// Package verify checks a token's signature against its issuer's published
// keys (OpenID Connect discovery and JWKS), with a maintained library.
package verify

import (
	"context"
	"fmt"
	"io"
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
	ctx = oidc.ClientContext(ctx, &http.Client{Timeout: 15 * time.Second, Transport: bounded{http.DefaultTransport}})
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

// maxAnswer is the largest discovery document or key set read: hop's bound,
// as for every answer clilogin reads; both are a few KiB.
const maxAnswer = hop.MaxBody

// bounded is a transport whose answers end in an error after maxAnswer
// bytes, so that an issuer cannot fill the memory before the timeout.
type bounded struct{ next http.RoundTripper }

func (b bounded) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := b.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &boundedBody{rc: resp.Body, left: maxAnswer}
	return resp, nil
}

// errTooLarge ends the read of an answer larger than maxAnswer.
var errTooLarge = fmt.Errorf("the answer is larger than %d bytes; not read further", maxAnswer)

type boundedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells an answer of exactly maxAnswer bytes from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *boundedBody) Close() error { return b.rc.Close() }
