package cookies

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/clilogin/clilogin/internal/loopback"
)

// formats are the formats WriteFormat knows, in the order help lists them.
// Adding a format is adding an entry here.
var formats = []struct {
	name  string
	write func(w io.Writer, cs []Cookie, target *url.URL) error
}{
	// The cookie file of curl -b and wget --load-cookies.
	{"netscape", func(w io.Writer, cs []Cookie, _ *url.URL) error { return WriteNetscape(w, cs) }},
	// clilogin's own cookie objects.
	{"json", func(w io.Writer, cs []Cookie, _ *url.URL) error {
		if cs == nil {
			cs = []Cookie{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(cs)
	}},
	// A Playwright storageState file.
	{"playwright", func(w io.Writer, cs []Cookie, _ *url.URL) error { return WritePlaywright(w, cs) }},
	// The value of a Cookie header for target.
	{"header", func(w io.Writer, cs []Cookie, target *url.URL) error {
		_, err := fmt.Fprintln(w, Header(cs, target, time.Now()))
		return err
	}},
}

// Formats are the names WriteFormat knows.
func Formats() []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.name
	}
	return names
}

// WriteFormat writes the cookies in the named format (see Formats); target
// is the URL they are for.
func WriteFormat(w io.Writer, format string, cs []Cookie, target *url.URL) error {
	for _, f := range formats {
		if f.name == format {
			return f.write(w, cs, target)
		}
	}
	return fmt.Errorf("cookies: unknown format %q", format)
}

// WriteNetscape writes a Netscape cookie file. HttpOnly cookies get curl's
// "#HttpOnly_" domain prefix; a host-only cookie has no leading dot and
// FALSE in the subdomains column; a session cookie expires at 0. A cookie
// without a name is left out, with a comment saying so: curl and wget would
// read its line as a cookie named by its value, and send that instead.
func WriteNetscape(w io.Writer, cs []Cookie) error {
	var b strings.Builder
	b.WriteString("# Netscape HTTP Cookie File\n# Written by clilogin. It holds session secrets: keep it private.\n\n")
	for _, c := range cs {
		if c.Name == "" {
			b.WriteString("# A cookie without a name is left out: curl and wget cannot send one.\n")
			continue
		}
		domain, sub := c.Domain, "FALSE"
		if !c.HostOnly {
			domain, sub = "."+c.Domain, "TRUE"
		}
		if c.HTTPOnly {
			domain = "#HttpOnly_" + domain
		}
		var exp int64
		if !c.Expires.IsZero() {
			exp = c.Expires.Unix()
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n",
			clean(domain), sub, clean(c.Path), upperBool(c.Secure), exp, clean(c.Name), clean(c.Value))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// clean drops the characters that would break a line of the file; cookie
// names and values never hold them.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
}

func upperBool(v bool) string {
	if v {
		return "TRUE"
	}
	return "FALSE"
}

// playwrightCookie is a cookie of Playwright's storageState.
type playwrightCookie struct {
	Name     string  `json:"name"`
	Value    string  `json:"value"`
	Domain   string  `json:"domain"`
	Path     string  `json:"path"`
	Expires  float64 `json:"expires"` // Unix seconds, -1 for a session cookie
	HTTPOnly bool    `json:"httpOnly"`
	Secure   bool    `json:"secure"`
	SameSite string  `json:"sameSite"` // "Strict", "Lax" or "None"
}

// WritePlaywright writes a Playwright storageState file:
// {"cookies": [...], "origins": []}.
func WritePlaywright(w io.Writer, cs []Cookie) error {
	state := struct {
		Cookies []playwrightCookie `json:"cookies"`
		Origins []any              `json:"origins"`
	}{Cookies: []playwrightCookie{}, Origins: []any{}}
	for _, c := range cs {
		pc := playwrightCookie{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path,
			Expires: -1, HTTPOnly: c.HTTPOnly, Secure: c.Secure, SameSite: c.SameSite}
		if !c.HostOnly {
			pc.Domain = "." + c.Domain
		}
		if !c.Expires.IsZero() {
			pc.Expires = float64(c.Expires.Unix())
		}
		if pc.SameSite == "" {
			pc.SameSite = "Lax" // what browsers assume when none is set
		}
		state.Cookies = append(state.Cookies, pc)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(state)
}

// Header returns the value of the Cookie header a browser sends to target:
// the unexpired cookies of its host (exactly, for a host-only cookie) whose
// path is a prefix of target's path, Secure ones only over https or to
// loopback. Values go as they are, as the browser sends them; a cookie
// without a name is sent as its bare value, as browsers do.
func Header(cs []Cookie, target *url.URL, now time.Time) string {
	var parts []string
	path := target.Path
	if path == "" {
		path = "/"
	}
	secure := target.Scheme == "https" || loopback.Host(target.Hostname())
	for _, c := range cs {
		if !c.MatchesHost(target.Hostname()) || c.Expired(now) || !pathMatch(c.Path, path) || c.Secure && !secure {
			continue
		}
		if c.Name == "" {
			parts = append(parts, c.Value)
			continue
		}
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// pathMatch is RFC 6265's path-match.
func pathMatch(cookiePath, path string) bool {
	if cookiePath == "" || cookiePath == "/" || cookiePath == path {
		return true
	}
	return strings.HasPrefix(path, cookiePath) &&
		(strings.HasSuffix(cookiePath, "/") || path[len(cookiePath)] == '/')
}
