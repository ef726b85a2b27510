// Package api talks to the backend over HTTP after the browser login: it
// fetches the token with the backend's session cookies and asks the whoami
// path who the token belongs to.
package api

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/go-resty/resty/v2"

	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/escape"
	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/redact"
)

// maxBody is the largest answer read from the backend. A token or an
// identity is a few kilobytes at most.
const maxBody = 1 << 20

// Client calls one backend.
type Client struct {
	backend *url.URL
	http    *resty.Client
}

// New returns a client for the backend (scheme, host, optional port and base
// path). Redirects are followed only within the backend's origin, so neither
// cookies nor the bearer token ever reach another host. HTTPS_PROXY and
// NO_PROXY are honoured.
func New(backend *url.URL, timeout time.Duration) *Client {
	origin := backend.Scheme + "://" + backend.Host
	r := resty.New().
		SetTimeout(timeout).
		SetRedirectPolicy(resty.RedirectPolicyFunc(func(req *http.Request, via []*http.Request) error {
			if req.URL.Scheme+"://"+req.URL.Host != origin || len(via) >= 5 {
				return http.ErrUseLastResponse // hand the redirect to the caller, follow nothing
			}
			return nil
		}))
	r.SetLogger(discardLogger{})
	return &Client{backend: backend, http: r}
}

// URL returns the backend URL with path appended to its base path.
func (c *Client) URL(path string) string {
	u := *c.backend
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + strings.TrimPrefix(path, "/")
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

// Token fetches the token from path with the backend's cookies.
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
	body, err := c.answer("token", path, resp, secrets...)
	if err != nil {
		return "", err
	}
	tok := strings.TrimSpace(body)
	switch {
	case tok == "":
		return "", failure.New(failure.Unreachable, "check --token-path; the backend should answer the token as plain text",
			"the backend's token path %s answered an empty body", path)
	case strings.IndexFunc(tok, unicode.IsSpace) >= 0:
		return "", failure.New(failure.Unreachable, "check --token-path; the backend should answer the token alone as plain text",
			"the backend's token path %s answered text that is not a token", path)
	}
	return tok, nil
}

// WhoAmI calls path with the bearer token and returns the identity it
// answers, as it is (plain text or JSON), without surrounding white space.
func (c *Client) WhoAmI(ctx context.Context, path, token string) (string, error) {
	target := c.URL(path)
	resp, err := c.http.R().SetContext(ctx).SetAuthToken(token).Get(target)
	if err != nil {
		return "", transportError("whoami", target, err)
	}
	body, err := c.answer("whoami", path, resp, token)
	if err != nil {
		return "", err
	}
	id := strings.TrimSpace(body)
	if id == "" {
		return "", failure.New(failure.Unreachable, "check --whoami-path",
			"the backend's whoami path %s answered an empty body", path)
	}
	return id, nil
}

// answer checks an answer of the backend and returns its body.
// secrets are what the request carried: an error body that echoes them
// back is shown without them.
func (c *Client) answer(step, path string, resp *resty.Response, secrets ...string) (string, error) {
	code := resp.StatusCode()
	switch {
	case code >= 300 && code < 400:
		loc := redact.URL(resp.Header().Get("Location"))
		if step == "token" {
			return "", failure.New(failure.Refused, "the backend's session has ended; run clilogin login again",
				"the backend redirected %s to %s instead of answering the token (session not accepted)", path, loc)
		}
		return "", failure.New(failure.Unreachable, "the bearer token is sent to the backend's own origin only; check --backend and --whoami-path",
			"the backend redirected %s to %s; not followed", path, loc)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		what := "the session cookies"
		if step == "whoami" {
			what = "the token"
		}
		return "", failure.New(failure.Refused, "run clilogin login again; if it keeps failing, the backend does not accept this login",
			"the backend refused %s at %s: %s%s", what, path, resp.Status(), excerpt(resp, secrets))
	case code == http.StatusNotFound:
		return "", failure.New(failure.Unreachable, fmt.Sprintf("check --%s-path, or set it to \"\" to skip this step", step),
			"the backend has no %s (404)", path)
	case code >= 400:
		return "", failure.New(failure.Unreachable, "the backend is failing; try again later or ask its owners",
			"the backend answered %s at %s%s", resp.Status(), path, excerpt(resp, secrets))
	}
	if len(resp.Body()) > maxBody {
		return "", failure.New(failure.Unreachable, fmt.Sprintf("check --%s-path", step),
			"the backend's %s answer is larger than %d bytes", path, maxBody)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header().Get("Content-Type")); mt == "text/html" {
		hint := fmt.Sprintf("check --%s-path; the backend should answer plain text", step)
		if step == "token" {
			hint = "the backend may not have accepted the session; run clilogin login again, or check --token-path"
		}
		return "", failure.New(failure.Unreachable, hint, "the backend answered an HTML page at %s, not a %s", path, step)
	}
	return string(resp.Body()), nil
}

// excerpt returns a short, single-line start of a non-HTML error body, which
// often says why; a token never comes with an error status.
func excerpt(resp *resty.Response, secrets []string) string {
	if mt, _, _ := mime.ParseMediaType(resp.Header().Get("Content-Type")); mt == "text/html" {
		return ""
	}
	s := escape.Control(strings.Join(strings.Fields(redact.Secrets(string(resp.Body()), secrets...)), " "))
	if s == "" {
		return ""
	}
	if r := []rune(s); len(r) > 160 {
		s = string(r[:160]) + "…"
	}
	return ": " + s
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
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is said once, redacted, below
	}
	return failure.New(failure.Unreachable, "check that the backend is running and --backend is right",
		"cannot reach the backend at %s: %w", redact.URL(target), err)
}

type discardLogger struct{}

func (discardLogger) Errorf(string, ...any) {}
func (discardLogger) Warnf(string, ...any)  {}
func (discardLogger) Debugf(string, ...any) {}
