package main

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clilogin/clilogin/devstack"
)

// The floors, measured in-process: what a login cannot be faster than.

// bareStarts times Chrome's start and graceful close with chromedp, nothing
// loaded.
func (b *bench) bareStarts(ctx context.Context, br browser) ([]sample, error) {
	return b.repeat(ctx, b.opts.n, paired(func(ctx context.Context, pss bool) (sample, error) {
		return b.bareStart(ctx, br, pss)
	}))
}

func (b *bench) bareStart(ctx context.Context, br browser, pss bool) (sample, error) {
	d, err := b.dir("bare")
	if err != nil {
		return sample{}, err
	}
	defer os.RemoveAll(d)
	profile := filepath.Join(d, "profile")
	// The allocator's context ending kills Chrome: a hung start ends here.
	actx, acancel := context.WithTimeout(ctx, runTimeout)
	defer acancel()
	actx, acancelAlloc := chromedp.NewExecAllocator(actx, bareOptions(br.path, profile)...)
	defer acancelAlloc()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	s := startSampler(profile, 0, pss)
	took, err := startClose(bctx)
	peak := s.stop()
	acancelAlloc()
	if err != nil {
		return sample{}, fmt.Errorf("start and close %s: %w", br.path, err)
	}
	return sample{took: took, peakKB: peak}, noneLeft(d, s.tree)
}

// startClose starts the browser of bctx (the first run attaches to its
// page) and closes it gracefully, as clilogin does.
func startClose(bctx context.Context) (time.Duration, error) {
	t0 := time.Now()
	if err := chromedp.Do(bctx); err != nil {
		return 0, fmt.Errorf("start: %w", err)
	}
	cctx, cancel := context.WithTimeout(bctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Cancel(cctx); err != nil {
		return 0, fmt.Errorf("close: %w", err)
	}
	return time.Since(t0), nil
}

// bareOptions are clilogin's allocator options without its app window and
// login specifics (see internal/browser/login.go).
func bareOptions(bin, profile string) []chromedp.ExecAllocatorOption {
	opts := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
	opts = append(opts,
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			// As clilogin: Ctrl-C reaches the benchmark only; Chrome dies with it.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		}),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	return opts
}

// httpColdLogins: the login over plain HTTP with an empty cookie jar: Dex's
// form is posted.
func (b *bench) httpColdLogins(ctx context.Context) ([]sample, error) {
	return b.repeat(ctx, b.opts.n, func(ctx context.Context) (sample, error) {
		jar, err := cookiejar.New(nil)
		if err != nil {
			return sample{}, fmt.Errorf("cookie jar: %w", err)
		}
		return b.timedHTTPLogin(ctx, jar, true)
	})
}

// httpWarmLogins: the login over plain HTTP with a jar that keeps Dex's
// session cookie from a first login: /login goes straight to the callback.
func (b *bench) httpWarmLogins(ctx context.Context) ([]sample, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, fmt.Errorf("cookie jar: %w", err)
	}
	if _, err := b.timedHTTPLogin(ctx, jar, true); err != nil {
		return nil, fmt.Errorf("priming login: %w", err)
	}
	return b.repeat(ctx, b.opts.n, func(ctx context.Context) (sample, error) {
		return b.timedHTTPLogin(ctx, jar, false)
	})
}

// timedHTTPLogin times one plain-HTTP login and checks whether it met the
// sign-in form as wantForm says.
func (b *bench) timedHTTPLogin(ctx context.Context, jar http.CookieJar, wantForm bool) (sample, error) {
	rctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	t0 := time.Now()
	form, err := httpLogin(rctx, b.stack.BackendURL, jar, devstack.DemoUser)
	took := time.Since(t0)
	switch {
	case err != nil:
		return sample{}, fmt.Errorf("plain-HTTP login: %w", err)
	case form != wantForm:
		return sample{}, fmt.Errorf("plain-HTTP login: met the sign-in form: %t, want %t", form, wantForm)
	}
	return sample{took: took, peakKB: -1}, nil
}

// page is a response's final URL and body.
type page struct {
	url  *url.URL
	body string
}

// httpLogin walks the login as a browser would, with a fresh connection
// pool: the backend's /login, Dex's password form if Dex has no session in
// the jar, the callback's "ok", the token, and whoami with the token. It
// reports whether it met the form.
func httpLogin(ctx context.Context, backend string, jar http.CookieJar, u devstack.User) (bool, error) {
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Jar: jar, Transport: tr}

	p, err := fetch(ctx, c, http.MethodGet, backend+"/login", nil, "")
	if err != nil {
		return false, err
	}
	form := !isCallbackOK(p)
	if form {
		action, err := formAction(p)
		if err != nil {
			return false, err
		}
		creds := url.Values{"login": {u.Email}, "password": {u.Password}, "remember_me": {"on"}}
		if p, err = fetch(ctx, c, http.MethodPost, action, creds, ""); err != nil {
			return form, err
		}
		if !isCallbackOK(p) {
			return form, fmt.Errorf("the sign-in ended at %s, not at the callback's ok: %.200q", p.url, p.body)
		}
	}
	tok, err := fetch(ctx, c, http.MethodGet, backend+"/user/token", nil, "")
	if err != nil {
		return form, err
	}
	id, err := fetch(ctx, c, http.MethodGet, backend+"/user/id", nil, tok.body)
	if err != nil {
		return form, err
	}
	if id.body != u.Email {
		return form, fmt.Errorf("/user/id answered %q, want %q", id.body, u.Email)
	}
	return form, nil
}

func isCallbackOK(p page) bool { return p.url.Path == "/callback" && p.body == "ok" }

// formAction is the absolute action URL of Dex's password form:
// <form method="post" action="..."> with the inputs login and password.
func formAction(p page) (string, error) {
	if !strings.Contains(p.body, `name="login"`) || !strings.Contains(p.body, `name="password"`) {
		return "", fmt.Errorf("no sign-in form at %s: %.200q", p.url, p.body)
	}
	_, tag, ok := strings.Cut(p.body, "<form")
	if ok {
		tag, _, _ = strings.Cut(tag, ">")
		_, tag, ok = strings.Cut(tag, `action="`)
	}
	if !ok {
		return "", fmt.Errorf("the sign-in form at %s has no action", p.url)
	}
	action, _, _ := strings.Cut(tag, `"`)
	ref, err := url.Parse(html.UnescapeString(action))
	if err != nil {
		return "", fmt.Errorf("the sign-in form's action: %w", err)
	}
	return p.url.ResolveReference(ref).String(), nil
}

// fetch sends a request (a form when form is not nil, a bearer token when
// bearer is not ""), follows redirects and wants a 200.
func fetch(ctx context.Context, c *http.Client, method, rawURL string, form url.Values, bearer string) (page, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err != nil {
		return page{}, fmt.Errorf("request: %w", err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.Do(req)
	if err != nil {
		return page{}, fmt.Errorf("%s %s: %w", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return page{}, fmt.Errorf("%s %s: read: %w", method, rawURL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return page{}, fmt.Errorf("%s %s: %s at %s: %.200q", method, rawURL, resp.Status, resp.Request.URL, b)
	}
	return page{url: resp.Request.URL, body: string(b)}, nil
}
