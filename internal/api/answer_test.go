package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/clilogin/clilogin/internal/failure"
)

const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"

// Every shape SPEC §1 calls a token, as backends' frameworks send it.
func TestTokenShapes(t *testing.T) {
	tests := []struct {
		name, contentType, body, field string
	}{
		{"flask string: text/html", "text/html; charset=utf-8", jwt, ""},
		{"express res.send: text/html", "text/html; charset=utf-8", jwt, ""},
		{"plain text", "text/plain", jwt + "\n", ""},
		{"fastapi JSON string", "application/json", `"` + jwt + `"`, ""},
		{"JSON string with escapes", "application/json", `"` + strings.Replace(jwt, ".", `\u002e`, 1) + `"`, ""},
		{"access_token", "application/json", `{"access_token":"` + jwt + `","token_type":"Bearer"}`, ""},
		{"id_token", "application/json", `{"id_token":"` + jwt + `","expires_in":3600}`, ""},
		{"token", "application/json; charset=utf-8", `{"token": "` + jwt + `"}`, ""},
		{"jwt", "application/json", `{"jwt":"` + jwt + `"}`, ""},
		{"access_token wins over id_token", "application/json", `{"id_token":"other","access_token":"` + jwt + `"}`, ""},
		{"JSON object sent as text/plain (Go's sniffing)", "text/plain; charset=utf-8", `{"access_token":"` + jwt + "\"}\n", ""},
		{"--token-field", "application/json", `{"bearer":"` + jwt + `","id_token":"other"}`, "bearer"},
		{"--token-field dotted", "application/json", `{"data":{"token":"` + jwt + `"}}`, "data.token"},
		{"byte order mark", "text/plain", "\xef\xbb\xbf" + jwt, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backend := newServer(t, canned(200, tt.contentType, "", tt.body))
			c := newClient(t, backend.URL)
			c.TokenField = tt.field
			tok, err := c.Token(context.Background(), tokenPath, session("127.0.0.1"))
			if err != nil || tok != jwt {
				t.Errorf("Token = %q, %v; want the JWT", tok, err)
			}
		})
	}
}

// Every shape SPEC §1 calls an identity.
func TestIdentityShapes(t *testing.T) {
	tests := []struct {
		name, contentType, body, field, want string
	}{
		{"flask string: text/html", "text/html; charset=utf-8", "alice@example.com", "", "alice@example.com"},
		{"plain text with newline", "text/plain", "alice@example.com\n", "", "alice@example.com"},
		{"JSON string", "application/json", `"alice@example.com"`, "", "alice@example.com"},
		{"email", "application/json", `{"sub":"123","email":"alice@example.com","name":"Alice"}`, "", "alice@example.com"},
		{"preferred_username before name", "application/json", `{"name":"Alice A.","preferred_username":"alice","sub":"1"}`, "", "alice"},
		{"name before sub", "application/json", `{"sub":"1","name":"Alice"}`, "", "Alice"},
		{"numeric sub", "application/json", `{"sub":12345}`, "", "12345"},
		{"--whoami-field", "application/json", `{"email":"a@example.com","login":"alice"}`, "login", "alice"},
		{"--whoami-field dotted", "application/json", `{"user":{"email":"alice@example.com"}}`, "user.email", "alice@example.com"},
		{"unicode name", "text/plain; charset=utf-8", "Zoë", "", "Zoë"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backend := newServer(t, canned(200, tt.contentType, "", tt.body))
			c := newClient(t, backend.URL)
			c.WhoamiField = tt.field
			id, err := c.WhoAmI(context.Background(), whoamiPath, tokenValue)
			if err != nil || id != tt.want {
				t.Errorf("WhoAmI = %q, %v; want %q", id, err, tt.want)
			}
		})
	}
}

// Answers that hold no token or identity are errors that say what was
// received (content type, size, first bytes without secrets) and which
// flag helps; never a silent success.
func TestUnusableAnswersSayWhatWasReceived(t *testing.T) {
	tests := []struct {
		name, step, contentType, body, field string
		want                                 []string // in the message
		hint                                 string   // in the hint
		not                                  []string // nowhere
	}{
		{name: "sign-in page at the token path", step: "token", contentType: "text/html; charset=utf-8",
			body: `<!doctype html><form><input type="password" name="pw"></form>`,
			want: []string{"HTML page", `"text/html; charset=utf-8"`, `"<!doctype html><form>`}, hint: "did not accept the session"},
		{name: "other page at the token path", step: "token", contentType: "text/html",
			body: "<html><h1>Welcome to our app</h1></html>", want: []string{"HTML page", "Welcome to our app"}, hint: "--token-path"},
		{name: "HTML page served as text/plain", step: "token", contentType: "text/plain",
			body: "\n  <html><body>hi</body></html>", want: []string{"HTML page", `"text/plain"`}},
		{name: "JSON object without a token field", step: "token", contentType: "application/json",
			body: `{"user":"alice","session_jwt":"` + jwt + `","expires":3600}`,
			want: []string{"no access_token, id_token, token or jwt field", `"expires", "session_jwt", "user"`}, hint: "--token-field NAME",
			not: []string{jwt, "eyJ"}},
		{name: "--token-field missing", step: "token", contentType: "application/json", field: "bearer",
			body: `{"access_token":"` + jwt + `"}`, want: []string{`without the field "bearer"`, `"access_token"`}, hint: "--token-field",
			not: []string{jwt}},
		{name: "token field not a string", step: "token", contentType: "application/json", field: "token",
			body: `{"token":{"value":"x"}}`, want: []string{`field "token" is not a string`}},
		{name: "JSON array", step: "token", contentType: "application/json", body: `["` + jwt + `"]`,
			want: []string{"JSON array"}, not: []string{jwt}},
		{name: "broken JSON object", step: "token", contentType: "application/json", body: `{"token":`,
			want: []string{"not a JSON object"}},
		{name: "two JSON values", step: "token", contentType: "application/json", body: `{"token":"a"}{"token":"b"}`,
			want: []string{"not a JSON object"}},
		{name: "token with control characters", step: "token", contentType: "text/plain", body: "abc\x1b[31mdef",
			want: []string{"not a token", `\x1b`}, not: []string{"\x1b"}},
		{name: "token as a JSON number", step: "token", contentType: "application/json", body: `12345`,
			field: "token", want: []string{"JSON that is not an object"}},
		{name: "sentence with a token in it", step: "token", contentType: "text/plain", body: "your token is " + jwt,
			want: []string{"not a token", "your token is REDACTED"}, not: []string{jwt}},
		{name: "JSON object without an identity field", step: "whoami", contentType: "application/json",
			body: `{"id":7,"roles":["admin"]}`, want: []string{"no email, preferred_username, name or sub field", `"id", "roles"`},
			hint: "--whoami-field NAME"},
		{name: "identity with escape sequences", step: "whoami", contentType: "text/plain", body: "alice\x1b]0;pwned\x07",
			want: []string{"control characters", `\x1b`}, not: []string{"\x1b", "\x07"}},
		{name: "empty JSON string", step: "whoami", contentType: "application/json", body: `""`, want: []string{"empty identity"}},
		{name: "HTML at the whoami path", step: "whoami", contentType: "text/html", body: "<p>hello</p>",
			want: []string{"HTML page", "<p>hello</p>"}, hint: "--whoami-path"},
		{name: "whoami echoes the token", step: "whoami", contentType: "application/json", body: `{"you":"` + tokenValue + `"}`,
			want: []string{`"you"`}, not: []string{tokenValue}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backend := newServer(t, canned(200, tt.contentType, "", tt.body))
			c := newClient(t, backend.URL)
			var got string
			var err error
			if tt.step == "token" {
				c.TokenField = tt.field
				got, err = c.Token(context.Background(), tokenPath, session("127.0.0.1"))
			} else {
				c.WhoamiField = tt.field
				got, err = c.WhoAmI(context.Background(), whoamiPath, tokenValue)
			}
			if got != "" {
				t.Errorf("returned %q with its error", got)
			}
			checkKind(t, err, failure.Unreachable)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if !strings.Contains(failure.HintOf(err), tt.hint) {
				t.Errorf("hint %q does not say %q", failure.HintOf(err), tt.hint)
			}
			for _, n := range tt.not {
				if strings.Contains(err.Error()+failure.HintOf(err), n) {
					t.Errorf("error %q (hint %q) shows %q", err, failure.HintOf(err), n)
				}
			}
		})
	}
}
