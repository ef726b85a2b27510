// Package remotebrowser turns a --remote-browser URL into the DevTools
// WebSocket URL a login dials, in one place for every kind of endpoint:
//
//   - a DevTools WebSocket URL (ws:// or wss://) is used exactly as given,
//     path and query kept (browserless's ?token=, a Grid's se:cdp);
//   - a DevTools HTTP endpoint (http(s)://host:port) answers /json/version
//     with its browser's webSocketDebuggerUrl;
//   - a WebDriver endpoint (a Selenium Grid, http(s)://grid:4444 or …/wd/hub)
//     answers /status; clilogin opens a W3C session on it and dials the
//     session's se:cdp, and Close deletes the session.
//
// The kinds are told apart by asking the endpoint, not by the URL's shape.
// The URL that is dialled is held to the same rule as the one typed: over
// TLS anywhere, in clear text on loopback only (unless insecure). Discovery
// for an https:// endpoint is itself over TLS, with the system's roots
// (SSL_CERT_FILE and SSL_CERT_DIR are honoured on Linux).
package remotebrowser

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/hop"
	"github.com/clilogin/clilogin/internal/loopback"
	"github.com/clilogin/clilogin/internal/redact"
)

// Kinds of endpoint.
const (
	KindWebSocket = "DevTools WebSocket"
	KindDevTools  = "DevTools HTTP endpoint"
	KindWebDriver = "WebDriver endpoint"
)

// Options for Open.
type Options struct {
	// Insecure allows ws:// and http:// off loopback.
	Insecure bool
	// Headless and BrowserArgs go into a WebDriver session's
	// goog:chromeOptions.
	Headless    bool
	BrowserArgs []string
	// Logf logs a step for -v; it is never given a secret.
	Logf func(format string, args ...any)
	// Client is the HTTP client for discovery and WebDriver; nil uses one
	// that does not follow redirects.
	Client *http.Client
}

// Endpoint is a resolved remote browser.
type Endpoint struct {
	Kind string
	// WebSocket is the DevTools WebSocket URL to dial, as is.
	WebSocket string
	// Session is the WebDriver session's id, "" for DevTools endpoints.
	Session string

	base   *url.URL // the WebDriver endpoint
	client *http.Client
	logf   func(string, ...any)
}

// Check checks a typed --remote-browser URL: its scheme and the
// loopback/TLS rule. It asks nothing.
func Check(raw string, insecure bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss" && u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, failure.New(failure.Usage, "see docs/remote-browsers.md for each kind of remote browser",
			"--remote-browser must be a DevTools endpoint (wss://…, https://host:port) or a Selenium Grid / WebDriver URL (https://host:port), got %q", redact.URL(raw))
	}
	if err := clearTextRule(u, insecure, "--remote-browser "+redact.URL(raw)); err != nil {
		return nil, err
	}
	return u, nil
}

// clearTextRule refuses ws:// and http:// off loopback unless insecure.
func clearTextRule(u *url.URL, insecure bool, what string) error {
	if (u.Scheme == "ws" || u.Scheme == "http") && !insecure && !loopback.Host(u.Hostname()) {
		return failure.New(failure.Usage,
			"use wss:// or https:// (e.g. through a TLS proxy), or pass --insecure-remote-browser if you accept sending the password and cookies in clear text",
			"%s is not on loopback and is not encrypted", what)
	}
	return nil
}

// Open asks the endpoint raw what it is and returns the DevTools WebSocket
// URL to dial. For a WebDriver endpoint it opens a session, which the
// caller must Close on every path; Open closes it itself when it fails
// after the session was created.
func Open(ctx context.Context, raw string, o Options) (*Endpoint, error) {
	u, err := Check(raw, o.Insecure)
	if err != nil {
		return nil, err
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	client := o.Client
	if client == nil {
		client = hop.NoFollow(nil)
	}
	e := &Endpoint{client: client, logf: o.Logf}
	if u.Scheme == "ws" || u.Scheme == "wss" {
		e.Kind, e.WebSocket = KindWebSocket, raw
		o.Logf("remote browser %s: a DevTools WebSocket, used as given", redact.URL(raw))
		return e, nil
	}

	// Ask /json/version first: a DevTools endpoint answers it.
	ws, devErr := e.devToolsURL(ctx, u)
	if devErr == nil {
		dial, err := held(u, ws, o.Insecure)
		if err != nil {
			return nil, err
		}
		e.Kind, e.WebSocket = KindDevTools, dial
		o.Logf("remote browser %s: a DevTools HTTP endpoint, browser at %s", redact.URL(raw), redact.URL(dial))
		return e, nil
	}
	if ctx.Err() != nil {
		return nil, ctxError(ctx, "asking the remote browser what it is")
	}
	var netErr net.Error
	if errors.As(devErr, &netErr) {
		return nil, failure.New(failure.Browser, "check that the remote browser runs and that --remote-browser names its host and port",
			"cannot reach the remote browser at %s: %v", redact.URL(raw), devErr)
	}
	// Then /status: a WebDriver endpoint (a Selenium Grid) answers it.
	free, wdErr := e.webDriverStatus(ctx, u)
	if wdErr != nil {
		if ctx.Err() != nil {
			return nil, ctxError(ctx, "asking the remote browser what it is")
		}
		return nil, failure.New(failure.Browser,
			"pass a DevTools endpoint (http://host:port of a Chrome started with --remote-debugging-port, or its ws:// URL) or a Selenium Grid URL",
			"%s is no remote browser clilogin knows: /json/version: %v; /status: %v", redact.URL(raw), devErr, wdErr)
	}
	e.Kind, e.base = KindWebDriver, u
	if free == 0 {
		o.Logf("remote browser %s: a WebDriver endpoint with no free slot: the session request is queued until one is free (within --timeout)", redact.URL(raw))
	} else {
		o.Logf("remote browser %s: a WebDriver endpoint, opening a session", redact.URL(raw))
	}
	if err := e.newSession(ctx, o); err != nil {
		return nil, err
	}
	dial, err := held(u, e.WebSocket, o.Insecure)
	if err != nil {
		e.Close()
		return nil, err
	}
	e.WebSocket = dial
	o.Logf("WebDriver session %s, DevTools at %s", e.Session, redact.URL(dial))
	return e, nil
}

func ctxError(ctx context.Context, waiting string) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return failure.New(failure.Timeout, "the remote browser is slow or busy; raise --timeout", "timed out %s", waiting)
	}
	return failure.Wrap(failure.Interrupted, "", ctx.Err())
}

// held applies the typed endpoint's rule to the URL an endpoint names for
// dialling. A ws:// URL named by an https:// endpoint is dialled as wss://
// on the typed host and port, with its path: the endpoint is a TLS
// terminator, and what is behind it names the address it sees (a Chrome
// names the Host it was asked with, a Grid its own address). Any other URL
// must itself be wss://, or ws:// on loopback, unless insecure.
func held(typed *url.URL, raw string, insecure bool) (string, error) {
	d, err := url.Parse(raw)
	if err != nil || (d.Scheme != "ws" && d.Scheme != "wss") || d.Host == "" {
		return "", failure.New(failure.Browser, "", "the remote browser at %s names no usable DevTools WebSocket URL (got %q)", redact.URL(typed.String()), redact.URL(raw))
	}
	if typed.Scheme == "https" && d.Scheme == "ws" {
		d.Scheme, d.Host = "wss", typed.Host
	}
	if d.RawQuery == "" && typed.RawQuery != "" && strings.EqualFold(d.Host, typed.Host) {
		d.RawQuery = typed.RawQuery // browserless's /json/version drops the ?token=
	}
	if err := clearTextRule(d, insecure, "the DevTools URL "+redact.URL(d.String())+" named by --remote-browser "+redact.URL(typed.String())); err != nil {
		return "", err
	}
	return d.String(), nil
}

// endpointURL is base with path p appended, the query kept.
func endpointURL(base *url.URL, p string) string {
	u := *base
	u.Path = strings.TrimSuffix(u.Path, "/") + p
	u.RawPath = ""
	u.Fragment = ""
	return u.String()
}

func (e *Endpoint) get(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	return e.do(req, v)
}

func (e *Endpoint) do(req *http.Request, v any) error {
	resp, body, err := hop.Do(e.client, req) // its errors name no URL, which may carry a token
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("%s", resp.Status)
		}
		return fmt.Errorf("%s, not JSON", resp.Status)
	}
	if resp.StatusCode/100 != 2 {
		return &statusError{status: resp.Status, body: body}
	}
	return nil
}

type statusError struct {
	status string
	body   []byte
}

func (s *statusError) Error() string {
	var w struct {
		Value struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		} `json:"value"`
	}
	if json.Unmarshal(s.body, &w) == nil && w.Value.Message != "" {
		msg, _, _ := strings.Cut(w.Value.Message, "\n")
		return s.status + ": " + w.Value.Error + ": " + msg
	}
	return s.status
}

func (e *Endpoint) devToolsURL(ctx context.Context, u *url.URL) (string, error) {
	var v struct {
		WebSocketDebuggerURL string `json:"webSocketDebuggerUrl"`
	}
	if err := e.get(ctx, endpointURL(u, "/json/version"), &v); err != nil {
		return "", err
	}
	if v.WebSocketDebuggerURL == "" {
		return "", errors.New("no webSocketDebuggerUrl in the answer")
	}
	return v.WebSocketDebuggerURL, nil
}

// webDriverStatus asks a WebDriver endpoint's /status and counts a Grid's
// free slots (-1 when it does not say).
func (e *Endpoint) webDriverStatus(ctx context.Context, u *url.URL) (free int, err error) {
	var v struct {
		Value *struct {
			Ready *bool `json:"ready"`
			Nodes []struct {
				Availability string `json:"availability"`
				Slots        []struct {
					Session json.RawMessage `json:"session"`
				} `json:"slots"`
			} `json:"nodes"`
		} `json:"value"`
	}
	if err := e.get(ctx, endpointURL(u, "/status"), &v); err != nil {
		return 0, err
	}
	if v.Value == nil || v.Value.Ready == nil {
		return 0, errors.New("no WebDriver status in the answer")
	}
	if v.Value.Nodes == nil {
		return -1, nil
	}
	for _, n := range v.Value.Nodes {
		if n.Availability != "" && n.Availability != "UP" {
			continue
		}
		for _, s := range n.Slots {
			if len(s.Session) == 0 || string(s.Session) == "null" {
				free++
			}
		}
	}
	return free, nil
}

// newSession opens a W3C session for Chrome and takes its se:cdp.
func (e *Endpoint) newSession(ctx context.Context, o Options) error {
	args := append([]string{}, o.BrowserArgs...)
	if o.Headless {
		args = append(args, "--headless=new")
	}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName":        "chrome",
		"goog:chromeOptions": map[string]any{"args": args},
	}}}
	body, _ := json.Marshal(caps)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpointURL(e.base, "/session"), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	var v struct {
		Value struct {
			SessionID    string `json:"sessionId"`
			Capabilities struct {
				CDP string `json:"se:cdp"`
			} `json:"capabilities"`
		} `json:"value"`
	}
	t0 := time.Now()
	if err := e.do(req, &v); err != nil {
		if ctx.Err() != nil {
			// The request may still be in the Grid's queue: it drops it
			// when its client is gone.
			return ctxError(ctx, "waiting for the WebDriver endpoint to open a session (queued while its slots are busy)")
		}
		return failure.New(failure.Browser, "check the Grid's nodes: they need Chrome and chromedriver",
			"the WebDriver endpoint %s did not open a Chrome session: %v", redact.URL(e.base.String()), err)
	}
	e.Session = v.Value.SessionID
	if e.Session == "" {
		return failure.New(failure.Browser, "", "the WebDriver endpoint %s answered a new session without an id", redact.URL(e.base.String()))
	}
	e.logf("WebDriver session opened in %.2fs", time.Since(t0).Seconds())
	if v.Value.Capabilities.CDP == "" {
		e.Close()
		return failure.New(failure.Browser, "use a Selenium Grid 4 or newer, or the Chrome's own DevTools endpoint",
			"the WebDriver endpoint %s gives no DevTools (se:cdp) URL for its session", redact.URL(e.base.String()))
	}
	e.WebSocket = v.Value.Capabilities.CDP
	return nil
}

// Redact masks the WebSocket URL's query (a token) and user info in s, a message of a
// library that quotes the URL it dialled, as ws:// or as http://.
func (e *Endpoint) Redact(s string) string {
	if e == nil || e.WebSocket == "" {
		return s
	}
	u, err := url.Parse(e.WebSocket)
	if err != nil || (u.RawQuery == "" && u.User == nil) {
		return s
	}
	for _, scheme := range []string{u.Scheme, map[string]string{"ws": "http", "wss": "https"}[u.Scheme]} {
		v := *u
		v.Scheme = scheme
		s = strings.ReplaceAll(s, v.String(), redact.URL(v.String()))
	}
	if u.User != nil { // a password in the URL (user:pass@host)
		s = strings.ReplaceAll(s, u.User.String()+"@", redact.Mask+"@")
	}
	if u.RawQuery != "" {
		_, q, _ := strings.Cut(redact.URL(u.String()), "?") // "" when nothing is left ("?&")
		s = strings.ReplaceAll(s, "?"+u.RawQuery, "?"+q)
	}
	return s
}

// Alive asks a WebDriver endpoint whether the session's browser still
// answers (a Grid keeps the se:cdp WebSocket open when its Chrome dies). It
// is nil for DevTools endpoints, whose WebSocket closes with the browser.
func (e *Endpoint) Alive(ctx context.Context) error {
	if e == nil || e.Session == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var v any
	err := e.get(ctx, endpointURL(e.base, "/session/"+url.PathEscape(e.Session)+"/url"), &v)
	if err != nil && ctx.Err() != nil {
		return nil // slow is not gone
	}
	return err
}

// Close deletes a WebDriver session, if there is one; the Grid then closes
// its Chrome. It is safe to call more than once, and on a nil Endpoint.
func (e *Endpoint) Close() {
	if e == nil || e.Session == "" {
		return
	}
	id := e.Session
	e.Session = ""
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, endpointURL(e.base, "/session/"+url.PathEscape(id)), nil)
	if err != nil {
		return
	}
	var v any
	if err := e.do(req, &v); err != nil {
		e.logf("could not delete WebDriver session %s: %v", id, err)
		return
	}
	e.logf("WebDriver session %s deleted", id)
}
