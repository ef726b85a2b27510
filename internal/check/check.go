// Package check walks a backend's side of clilogin's contract (SPEC §1) as
// far as plain HTTP can, without a browser, and says for each step what is
// right or wrong and which flag or fix would help.
package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/hop"
	"github.com/clilogin/clilogin/internal/redact"
)

// Status is how a step went.
type Status string

// The statuses. A warning does not fail the check.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Step is one step's result.
type Step struct {
	Name   string `json:"step"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Config is the backend and its paths, as the other commands take them.
type Config struct {
	Backend                                        *backend.Backend
	LoginPath, CallbackPath, TokenPath, WhoamiPath string
	Timeout                                        time.Duration // the whole check's; default 10s
}

// Run walks the steps in order: backend, login, idp, callback, token,
// whoami. A step that cannot run because an earlier one failed is skipped.
func Run(ctx context.Context, c Config) []Step {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	// The time is the whole check's: an IdP or backend that answers each
	// request slowly cannot make it last request after request.
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	jar, _ := cookiejar.New(nil) // never fails without options
	r := &runner{c: c, http: hop.NoFollow(&http.Client{Jar: jar})}
	steps := []Step{r.backend(ctx)}
	if steps[0].Status == Fail {
		return append(steps, skipped("login", "idp", "callback", "token", "whoami")...)
	}
	login, authorize := r.login(ctx)
	steps = append(steps, login)
	if authorize == nil {
		steps = append(steps, skipped("idp", "callback")...)
	} else {
		steps = append(steps, r.idp(ctx, authorize), r.callback(authorize))
	}
	return append(steps, r.token(ctx), r.whoami(ctx))
}

// Failed reports whether a step failed.
func Failed(steps []Step) bool {
	for _, s := range steps {
		if s.Status == Fail {
			return true
		}
	}
	return false
}

func skipped(names ...string) []Step {
	out := make([]Step, 0, len(names))
	for _, n := range names {
		out = append(out, Step{Name: n, Status: Skip, Detail: "not checked: an earlier step failed"})
	}
	return out
}

type runner struct {
	c    Config
	http *http.Client
}

// url is the backend URL of path, under its base path.
func (r *runner) url(path string) string { return r.c.Backend.Join(path) }

// answer is what one GET returned; its body is read up to hop.MaxBody.
type answer struct {
	status      int
	contentType string
	location    *url.URL
	body        []byte
}

func (r *runner) get(ctx context.Context, target string, cookies bool) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return answer{}, err
	}
	client := r.http
	if !cookies {
		c := *r.http
		c.Jar = nil
		client = &c
	}
	resp, body, err := hop.Do(client, req)
	if resp == nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return answer{}, fmt.Errorf("--timeout %s ran out", r.c.Timeout)
		}
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: body}
	if loc := resp.Header.Get("Location"); loc != "" {
		a.location, _ = resp.Request.URL.Parse(loc)
	}
	return a, nil
}

func (a answer) html() bool { return hop.HTML(a.contentType, a.body) }

func (a answer) what() string {
	ct := a.contentType
	if ct == "" {
		ct = "no Content-Type"
	}
	return fmt.Sprintf("%d %s (%s)", a.status, http.StatusText(a.status), ct)
}

func (r *runner) backend(ctx context.Context) Step {
	target := r.url("/")
	a, err := r.get(ctx, target, false)
	if err != nil {
		return Step{Name: "backend", Status: Fail, Detail: fmt.Sprintf("cannot reach %s: %v", redact.URL(target), err),
			Fix: "check that the backend is running and --backend is right"}
	}
	return Step{Name: "backend", Status: OK, Detail: fmt.Sprintf("%s answers (%s at /)", r.c.Backend.Redacted(), a.what())}
}

// login follows the login path's redirects within the backend to the IdP
// and returns the IdP's authorization URL.
func (r *runner) login(ctx context.Context) (Step, *url.URL) {
	fail := func(detail, fix string) (Step, *url.URL) {
		return Step{Name: "login", Status: Fail, Detail: detail, Fix: fix}, nil
	}
	target := r.url(r.c.LoginPath)
	for hop := 0; hop < 5; hop++ {
		a, err := r.get(ctx, target, true)
		if err != nil {
			return fail(fmt.Sprintf("cannot reach %s: %v", redact.URL(target), err), "check that the backend is running")
		}
		switch {
		case a.status == http.StatusNotFound:
			return fail(fmt.Sprintf("%s answered 404: the backend has no login path there", r.c.LoginPath),
				"pass --login-path with the path that starts the login (it redirects to the IdP)")
		case a.status >= 300 && a.status < 400 && a.location != nil:
		case a.status >= 400:
			return fail(fmt.Sprintf("%s answered %s instead of a redirect to the IdP", r.c.LoginPath, a.what()),
				"pass --login-path with the path that redirects to the IdP (a login path needs no session); if it is that path, check the backend's logs")
		default:
			return fail(fmt.Sprintf("%s answered %s, not a redirect to the IdP", r.c.LoginPath, a.what()),
				"pass --login-path with the path that redirects to the IdP (not a page with a sign-in button)")
		}
		loc := a.location
		if r.c.Backend.SameOrigin(loc) {
			target = loc.String() // within the backend: follow
			continue
		}
		q := loc.Query()
		if q.Get("client_id") == "" || q.Get("response_type") == "" {
			return Step{Name: "login", Status: Warn,
				Detail: fmt.Sprintf("%s redirects to %s, which does not look like an OAuth authorization request (no client_id or response_type)", r.c.LoginPath, redact.URL(loc.String())),
				Fix:    "check that --login-path starts the single sign-on"}, loc
		}
		return Step{Name: "login", Status: OK,
			Detail: fmt.Sprintf("%s redirects to the IdP at %s (client_id %s, response_type %s)", r.c.LoginPath, loc.Host, q.Get("client_id"), q.Get("response_type"))}, loc
	}
	return fail(fmt.Sprintf("%s redirects within the backend more than 5 times", r.c.LoginPath), "check the backend's login route")
}

// idp looks for the IdP's OpenID Connect discovery document under the
// authorization URL's path.
func (r *runner) idp(ctx context.Context, authorize *url.URL) Step {
	base := authorize.Scheme + "://" + authorize.Host
	parts := strings.Split(strings.Trim(authorize.Path, "/"), "/")
	var lastErr error
	for i := len(parts); i >= 0; i-- {
		prefix := strings.Join(parts[:i], "/")
		if prefix != "" {
			prefix = "/" + prefix
		}
		target := base + prefix + "/.well-known/openid-configuration"
		a, err := r.get(ctx, target, false)
		if err != nil {
			lastErr = err
			break // the IdP's host does not answer
		}
		var doc struct {
			Issuer string `json:"issuer"`
			Auth   string `json:"authorization_endpoint"`
		}
		if a.status == http.StatusOK && json.Unmarshal(a.body, &doc) == nil && doc.Issuer != "" {
			return Step{Name: "idp", Status: OK, Detail: fmt.Sprintf("%s: discovery document found (issuer %s)", authorize.Host, doc.Issuer)}
		}
	}
	if lastErr != nil {
		return Step{Name: "idp", Status: Fail, Detail: fmt.Sprintf("cannot reach the IdP at %s: %v", authorize.Host, lastErr),
			Fix: "the browser could not reach it either: check the backend's IdP settings and the network"}
	}
	return Step{Name: "idp", Status: Warn, Detail: fmt.Sprintf("%s answers, but no OpenID Connect discovery document was found under %s", authorize.Host, redact.URL(authorize.String())),
		Fix: "fine for a plain OAuth IdP; --verify-issuer needs the issuer URL"}
}

// callback compares the redirect_uri the backend sent to the IdP with
// --backend and --callback-path.
func (r *runner) callback(authorize *url.URL) Step {
	raw := authorize.Query().Get("redirect_uri")
	if raw == "" {
		return Step{Name: "callback", Status: Warn, Detail: "the redirect to the IdP has no redirect_uri: the IdP will use the one registered for the client",
			Fix: "make sure its path is --callback-path"}
	}
	cb, err := url.Parse(raw)
	if err != nil || cb.Host == "" {
		return Step{Name: "callback", Status: Fail, Detail: fmt.Sprintf("the redirect_uri %q is not an absolute URL", raw), Fix: "fix the backend's redirect_uri"}
	}
	if !r.c.Backend.SameOrigin(cb) {
		return Step{Name: "callback", Status: Fail,
			Detail: fmt.Sprintf("the IdP will send the browser back to %s://%s, not to the backend %s://%s: the session cookie would belong to another site", cb.Scheme, cb.Host, r.c.Backend.Scheme, r.c.Backend.Host),
			Fix:    fmt.Sprintf("pass --backend %s://%s%s (the backend's public URL)", cb.Scheme, cb.Host, r.c.Backend.Path)}
	}
	base := strings.TrimSuffix(r.c.Backend.Path, "/")
	want := base + r.c.CallbackPath
	if cb.Path != want && base != "" && !strings.HasPrefix(cb.Path, base+"/") {
		return Step{Name: "callback", Status: Fail,
			Detail: fmt.Sprintf("the redirect_uri's path %s is not under --backend's base path %s", cb.Path, base),
			Fix:    fmt.Sprintf("pass --backend %s://%s (no base path) and --callback-path %s", cb.Scheme, cb.Host, cb.Path)}
	}
	if cb.Path != want {
		rel := strings.TrimPrefix(cb.Path, base)
		return Step{Name: "callback", Status: Fail,
			Detail: fmt.Sprintf("the redirect_uri's path is %s, not --callback-path %s", cb.Path, r.c.CallbackPath),
			Fix:    fmt.Sprintf("pass --callback-path %s", rel)}
	}
	return Step{Name: "callback", Status: OK, Detail: fmt.Sprintf("redirect_uri %s matches --callback-path %s", redact.URL(cb.String()), r.c.CallbackPath)}
}

// token asks the token path without a session: it should refuse.
func (r *runner) token(ctx context.Context) Step {
	if r.c.TokenPath == "" {
		return Step{Name: "token", Status: Skip, Detail: "--token-path is empty: no token step"}
	}
	a, err := r.get(ctx, r.url(r.c.TokenPath), false)
	p := r.c.TokenPath
	switch {
	case err != nil:
		return Step{Name: "token", Status: Fail, Detail: fmt.Sprintf("cannot reach %s: %v", p, err), Fix: "check that the backend is running"}
	case a.status == http.StatusUnauthorized || a.status == http.StatusForbidden:
		return Step{Name: "token", Status: OK, Detail: fmt.Sprintf("%s without a session: %s, refused as expected", p, a.what())}
	case a.status >= 300 && a.status < 400:
		return Step{Name: "token", Status: OK, Detail: fmt.Sprintf("%s without a session: %d, a redirect (to a sign-in) as expected", p, a.status)}
	case a.status == http.StatusNotFound:
		return Step{Name: "token", Status: Fail, Detail: fmt.Sprintf("%s answered 404: the backend has no token path there", p),
			Fix: `pass --token-path with the path that answers the token, or --token-path "" if the backend has none`}
	case a.status >= 500:
		return Step{Name: "token", Status: Fail, Detail: fmt.Sprintf("%s without a session: %s, a server error", p, a.what()),
			Fix: "a backend should refuse (401) a request without a session; check its logs"}
	case a.status >= 400:
		return Step{Name: "token", Status: OK, Detail: fmt.Sprintf("%s without a session: %s, refused", p, a.what())}
	case a.html():
		return Step{Name: "token", Status: OK, Detail: fmt.Sprintf("%s without a session: %s, a page (a sign-in page, presumably)", p, a.what())}
	}
	return Step{Name: "token", Status: Warn, Detail: fmt.Sprintf("%s answers %s without a session", p, a.what()),
		Fix: "check --token-path: it should need the session cookie"}
}

// whoami asks the whoami path without a token: it should refuse.
func (r *runner) whoami(ctx context.Context) Step {
	if r.c.WhoamiPath == "" || r.c.TokenPath == "" {
		return Step{Name: "whoami", Status: Skip, Detail: "--whoami-path (or --token-path) is empty: no whoami step"}
	}
	a, err := r.get(ctx, r.url(r.c.WhoamiPath), false)
	p := r.c.WhoamiPath
	switch {
	case err != nil:
		return Step{Name: "whoami", Status: Fail, Detail: fmt.Sprintf("cannot reach %s: %v", p, err), Fix: "check that the backend is running"}
	case a.status == http.StatusUnauthorized || a.status == http.StatusForbidden:
		return Step{Name: "whoami", Status: OK, Detail: fmt.Sprintf("%s without a token: %s, refused as expected", p, a.what())}
	case a.status == http.StatusNotFound:
		return Step{Name: "whoami", Status: Fail, Detail: fmt.Sprintf("%s answered 404: the backend has no whoami path there", p),
			Fix: `pass --whoami-path with the path that answers who the token's user is, or --whoami-path ""`}
	case a.status >= 300 && a.status < 400:
		return Step{Name: "whoami", Status: Warn, Detail: fmt.Sprintf("%s without a token: %d, a redirect; clilogin follows none with the token", p, a.status),
			Fix: "fine if it answers with a bearer token; an API path usually answers 401"}
	case a.status >= 500:
		return Step{Name: "whoami", Status: Fail, Detail: fmt.Sprintf("%s without a token: %s, a server error", p, a.what()),
			Fix: "a backend should refuse (401) a request without a token; check its logs"}
	case a.status >= 400:
		return Step{Name: "whoami", Status: OK, Detail: fmt.Sprintf("%s without a token: %s, refused", p, a.what())}
	}
	return Step{Name: "whoami", Status: Warn, Detail: fmt.Sprintf("%s answers %s without a token: it does not check the bearer token", p, a.what()),
		Fix: "check --whoami-path: it should need Authorization: Bearer"}
}
