package api

import (
	"strings"
	"testing"
	"unicode"

	"github.com/clilogin/clilogin/internal/failure"
)

// Whatever a backend answers, parsing it never panics; a token is one word
// of visible ASCII; an identity has no control characters; an error is of
// the Unreachable kind and shows no control character.
func FuzzAnswer(f *testing.F) {
	for _, s := range []struct{ ct, body, field string }{
		{"text/html; charset=utf-8", "eyJa.eyJb.c", ""},
		{"application/json", `"eyJa.eyJb.c"`, ""},
		{"application/json", `{"access_token":"t","user":{"email":"a@b"}}`, "user.email"},
		{"text/plain", "<html>\x1b[31m</html>", ""},
		{"", "\xef\xbb\xbf{\"sub\":12}", ""},
		{"application/json", `[1,2]`, "x"},
	} {
		f.Add(s.ct, []byte(s.body), s.field)
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte, field string) {
		for _, step := range []string{"token", "whoami"} {
			a := Answer{Step: step, Path: "/p", ContentType: ct, Body: body}
			var v string
			var err error
			if step == "token" {
				v, err = a.Token(field)
				if err == nil && (v == "" || strings.IndexFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0) {
					t.Fatalf("token %q", v)
				}
			} else {
				v, err = a.Identity(field)
				if err == nil && (v == "" || strings.ContainsFunc(v, unicode.IsControl)) {
					t.Fatalf("identity %q", v)
				}
			}
			if err != nil {
				if failure.KindOf(err) != failure.Unreachable {
					t.Fatalf("kind of %v", err)
				}
				if strings.ContainsFunc(err.Error(), unicode.IsControl) {
					t.Fatalf("error %q has a control character", err)
				}
			}
		}
	})
}
