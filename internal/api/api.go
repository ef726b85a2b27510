// Package api talks to the backend over HTTP after the browser login: it
// fetches the token with the backend's session cookies and asks the whoami
// path who the token belongs to.
package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/hop"
	"github.com/clilogin/clilogin/internal/redact"
)

// Client calls one backend.
type Client struct {
	// TokenField and WhoamiField name the JSON field that holds the token
	// and the identity in an object answer; empty means the usual names.
	TokenField, WhoamiField string

	backend *backend.Backend
	http    *resty.Client
}

// New returns a client for the backend (scheme, host, optional port and base
// path). Redirects are followed only within the backend's origin, so neither
// cookies nor the bearer token ever reach another host. HTTPS_PROXY and
// NO_PROXY are honoured.
func New(b *backend.Backend, timeout time.Duration) *Client {
	r := resty.New().
		SetTimeout(timeout).
		SetRedirectPolicy(resty.RedirectPolicyFunc(func(req *http.Request, via []*http.Request) error {
			if !b.SameOrigin(req.URL) || len(via) >= 5 {
				return http.ErrUseLastResponse // hand the redirect to the caller, follow nothing
			}
			return nil
		}))
	// Every answer is read through the bound, whatever its status: the
	// connection is closed after hop.MaxBody bytes.
	r.SetResponseBodyLimit(hop.MaxBody)
	r.SetLogger(discardLogger{})
	return &Client{backend: b, http: r}
}

// URL returns the backend URL of path, under its base path.
func (c *Client) URL(path string) string { return c.backend.Join(path) }

// Token fetches the token from path with the backend's cookies. The answer
// is judged by its content, not its Content-Type (see Answer.Token).
func (c *Client) Token(ctx context.Context, path string, cs []cookies.Cookie) (string, error) {
	target := c.URL(path)
	u, _ := url.Parse(target) // built from a parsed URL
	header := cookies.Header(cs, u, time.Now())
	if header == "" {
		return "", failure.New(failure.Refused,
			"the browser login did not leave a session cookie for the backend; check --backend and --callback-path",
			"no session cookie for %s among %d cookies", u.Host, len(cs))
	}
	// The header goes to the backend's origin only: the redirect policy
	// follows nothing else.
	resp, err := c.http.R().SetContext(ctx).SetHeader("Cookie", header).Get(target)
	if err != nil {
		return "", transportError("token", target, err)
	}
	secrets := make([]string, 0, len(cs))
	for _, k := range cs {
		secrets = append(secrets, k.Value)
	}
	if err := c.status("token", path, resp, secrets...); err != nil {
		return "", err
	}
	return answerOf("token", path, resp, secrets).Token(c.TokenField)
}

// WhoAmI calls path with the bearer token and returns the identity it
// answers (see Answer.Identity).
func (c *Client) WhoAmI(ctx context.Context, path, token string) (string, error) {
	target := c.URL(path)
	resp, err := c.http.R().SetContext(ctx).SetAuthToken(token).Get(target)
	if err != nil {
		return "", transportError("whoami", target, err)
	}
	if err := c.status("whoami", path, resp, token); err != nil {
		return "", err
	}
	return answerOf("whoami", path, resp, []string{token}).Identity(c.WhoamiField)
}

func answerOf(step, path string, resp *resty.Response, secrets []string) Answer {
	return Answer{Step: step, Path: path, ContentType: resp.Header().Get("Content-Type"), Body: resp.Body(), secrets: secrets}
}

// status checks the status of an answer of the backend: a redirect, a
// refusal or an error is an error.
// secrets are what the request carried: an error body that echoes them
// back is shown without them.
func (c *Client) status(step, path string, resp *resty.Response, secrets ...string) error {
	code := resp.StatusCode()
	switch {
	case code >= 300 && code < 400:
		loc := redact.URL(resp.Header().Get("Location"))
		if step == "token" {
			return failure.New(failure.Refused, "the backend's session has ended; run clilogin login again",
				"the backend redirected %s to %s instead of answering the token (session not accepted)", path, loc)
		}
		return failure.New(failure.Unreachable, "the bearer token is sent to the backend's own origin only; check --backend and --whoami-path",
			"the backend redirected %s to %s; not followed", path, loc)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		what := "the session cookies"
		if step == "whoami" {
			what = "the token"
		}
		return failure.New(failure.Refused, "run clilogin login again; if it keeps failing, the backend does not accept this login",
			"the backend refused %s at %s: %s%s", what, path, resp.Status(), excerpt(resp, secrets))
	case code == http.StatusNotFound:
		return failure.New(failure.Unreachable, fmt.Sprintf("check --%s-path, or set it to \"\" to skip this step", step),
			"the backend has no %s (404)", path)
	case code >= 400:
		return failure.New(failure.Unreachable, "the backend is failing; try again later or ask its owners",
			"the backend answered %s at %s%s", resp.Status(), path, excerpt(resp, secrets))
	}
	return nil
}

// excerpt returns a short, single-line start of a non-HTML error body, which
// often says why; a token never comes with an error status.
func excerpt(resp *resty.Response, secrets []string) string {
	return hop.Excerpt(resp.Header().Get("Content-Type"), resp.Body(), secrets...)
}

// transportError classifies an error of the HTTP round trip.
func transportError(step, target string, err error) error {
	if errors.Is(err, context.Canceled) {
		return failure.Wrap(failure.Interrupted, "", err)
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return failure.New(failure.Timeout, "the backend is slow or unreachable; try again or raise --timeout",
			"timed out waiting for the backend's %s answer at %s", step, redact.URL(target))
	}
	if errors.Is(err, resty.ErrResponseBodyTooLarge) {
		return failure.New(failure.Unreachable, fmt.Sprintf("check --%s-path: it should answer a short token or identity", step),
			"the backend's %s answer at %s is larger than %d bytes; not read further", step, redact.URL(target), hop.MaxBody)
	}
	err = hop.Cause(err) // the URL is said once, redacted, below
	return failure.New(failure.Unreachable, "check that the backend is running and --backend is right",
		"cannot reach the backend at %s: %w", redact.URL(target), err)
}

type discardLogger struct{}

func (discardLogger) Errorf(string, ...any) {}
func (discardLogger) Warnf(string, ...any)  {}
func (discardLogger) Debugf(string, ...any) {}
