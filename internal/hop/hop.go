// Package hop is one HTTP hop as clilogin takes it from a backend or an
// identity provider: a request whose redirect is handed back, not followed
// (each caller decides where it may go next, and with which cookies or
// token), an answer read up to MaxBody, a transport error without the URL
// (each caller says it once, redacted), and the few words of an error
// answer that are safe to show.
package hop

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/clilogin/clilogin/internal/escape"
	"github.com/clilogin/clilogin/internal/redact"
)

// MaxBody is the largest answer read. A token, an identity, a success page
// or a discovery document is far smaller.
const MaxBody = 1 << 20

// ExcerptRunes is the longest excerpt of an error answer shown.
const ExcerptRunes = 160

// NoFollow returns a copy of c that hands every redirect back to the caller
// instead of following it. A nil c is a client with the default transport.
func NoFollow(c *http.Client) *http.Client {
	out := &http.Client{Transport: http.DefaultTransport}
	if c != nil {
		*out = *c
	}
	out.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return out
}

// ErrBadLocation is a redirect whose Location is not a URL. net/http says
// so with the Location in the message, which may carry a code or a state.
var ErrBadLocation = errors.New("a redirect whose Location is not a URL")

// Do sends req with client and reads the answer's body up to MaxBody; the
// body is closed. A transport error is returned without its URL (see Cause).
// A body cut at MaxBody is returned as far as it was read, without error.
func Do(client *http.Client, req *http.Request) (*http.Response, []byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, Cause(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil {
		return resp, body, Cause(err)
	}
	return resp, body, nil
}

// Cause returns the error a *url.Error wraps, so that the URL (which may
// carry a state or a code) is not said again unredacted, and ErrBadLocation
// for net/http's error that quotes a bad Location; any other error is
// returned as it is.
func Cause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if err != nil && strings.HasPrefix(err.Error(), "failed to parse Location header") {
		return ErrBadLocation
	}
	return err
}

// HTML reports whether an answer is an HTML page: text/html starting with a
// tag, or any answer starting with <!doctype html or <html.
func HTML(contentType string, body []byte) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	b := strings.TrimSpace(string(body))
	lower := strings.ToLower(b)
	return mt == "text/html" && strings.HasPrefix(b, "<") ||
		strings.HasPrefix(lower, "<!doctype html") || strings.HasPrefix(lower, "<html")
}

// Excerpt returns ": " and the start of an error answer, on one line,
// without secrets, its control characters escaped, at most ExcerptRunes
// runes (then "…"); an error answer often says why. It returns "" for an
// answer served as text/html (its text is markup) or an empty body.
func Excerpt(contentType string, body []byte, secrets ...string) string {
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "text/html" {
		return ""
	}
	s := escape.Control(strings.Join(strings.Fields(redact.Secrets(string(body), secrets...)), " "))
	if s == "" {
		return ""
	}
	if r := []rune(s); len(r) > ExcerptRunes {
		s = string(r[:ExcerptRunes]) + "…"
	}
	return ": " + s
}
