package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/redact"
)

// TokenFields are the fields of a JSON object answer that hold the token,
// in the order they are looked for.
var TokenFields = []string{"access_token", "id_token", "token", "jwt"}

// IdentityFields are the fields of a JSON object answer that hold the
// identity, in the order they are looked for.
var IdentityFields = []string{"email", "preferred_username", "name", "sub"}

// Answer is a 2xx answer of the backend's token or whoami path. Backends
// answer in their framework's default way, so an answer is judged by its
// content, not its Content-Type: Flask, Express and Django send a returned
// string as text/html, FastAPI as a JSON string, others as a JSON object.
type Answer struct {
	Step        string // "token" or "whoami": names the flags in hints
	Path        string
	ContentType string
	Body        []byte
	secrets     []string // what the request carried: never shown
}

// Token returns the token in the answer: a bare token (any content type, as
// long as the body is not markup), a JSON string, or a JSON object's field
// (field, or else one of TokenFields; field may be a dotted path such as
// data.token).
func (a Answer) Token(field string) (string, error) {
	v, err := a.value(field, TokenFields)
	if err != nil {
		return "", err
	}
	if v == "" {
		return "", a.wrong("an empty token", "")
	}
	if i := strings.IndexFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }); i >= 0 {
		return "", a.wrong("text that is not a token (a token is one word of visible ASCII characters)",
			"the token path should answer the token alone, as text or JSON")
	}
	return v, nil
}

// Identity returns the identity in the answer: plain text, a JSON string,
// or a JSON object's field (field, or else the first of IdentityFields).
func (a Answer) Identity(field string) (string, error) {
	v, err := a.value(field, IdentityFields)
	if err != nil {
		return "", err
	}
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "", a.wrong("an empty identity", "")
	case strings.ContainsFunc(v, unicode.IsControl) || !utf8.ValidString(v):
		return "", a.wrong("text with control characters, not an identity", "")
	}
	return v, nil
}

// value returns the text the answer holds: its body, a JSON string, or the
// field of a JSON object.
func (a Answer) value(field string, fields []string) (string, error) {
	body := bytes.TrimSpace(bytes.TrimPrefix(a.Body, []byte("\xef\xbb\xbf")))
	if len(body) == 0 {
		return "", a.wrong("an empty body", "")
	}
	switch body[0] {
	case '<':
		return "", a.htmlPage(body)
	case '"':
		var s string
		if err := json.Unmarshal(body, &s); err != nil {
			return "", a.wrong("text in quotes that is not a JSON string", "")
		}
		return s, nil
	case '{':
		return a.field(body, field, fields)
	case '[':
		return "", a.wrong("a JSON array", fmt.Sprintf("it should answer text, a JSON string or a JSON object with %s", orList(fields)))
	}
	if field != "" && a.isJSON() {
		return "", a.wrong("JSON that is not an object", fmt.Sprintf("--%s-field applies to a JSON object", a.Step))
	}
	return string(body), nil
}

func (a Answer) isJSON() bool {
	mt, _, _ := mime.ParseMediaType(a.ContentType)
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// field returns a field of a JSON object: field (a dotted path), or else the
// first of fields that is present.
func (a Answer) field(body []byte, field string, fields []string) (string, error) {
	var obj map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&obj); err != nil || d.More() {
		return "", a.wrong("text that starts like JSON but is not a JSON object", "")
	}
	flag := "--" + a.Step + "-field"
	if field != "" {
		v, ok := lookup(obj, field)
		if !ok {
			return "", a.wrong(fmt.Sprintf("a JSON object without the field %q (its fields: %s)", field, names(obj)),
				fmt.Sprintf("pass %s with one of its fields", flag))
		}
		s, ok := text(v)
		if !ok {
			return "", a.wrong(fmt.Sprintf("a JSON object whose field %q is not a string", field), fmt.Sprintf("pass %s with a field that holds a string", flag))
		}
		return s, nil
	}
	for _, f := range fields {
		if v, ok := obj[f]; ok {
			if s, ok := text(v); ok && s != "" {
				return s, nil
			}
		}
	}
	return "", a.wrong(fmt.Sprintf("a JSON object with no %s field (its fields: %s)", orList(fields), names(obj)),
		fmt.Sprintf("pass %s NAME to say which field holds the %s", flag, map[string]string{"token": "token", "whoami": "identity"}[a.Step]))
}

// lookup follows a dotted path (data.token) into nested objects; a field
// whose own name has a dot is found first.
func lookup(obj map[string]any, path string) (any, bool) {
	if v, ok := obj[path]; ok {
		return v, true
	}
	head, rest, ok := strings.Cut(path, ".")
	if !ok {
		return nil, false
	}
	inner, isObj := obj[head].(map[string]any)
	if !isObj {
		return nil, false
	}
	return lookup(inner, rest)
}

// text is a JSON string, or a number (a numeric sub) as written.
func text(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	}
	return "", false
}

// names lists an object's field names (never their values, which may be
// secrets), quoted with control characters escaped.
func names(obj map[string]any) string {
	if len(obj) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	const most = 12
	more := ""
	if len(keys) > most {
		more = fmt.Sprintf(" and %d more", len(keys)-most)
		keys = keys[:most]
	}
	for i, k := range keys {
		keys[i] = strconv.QuoteToGraphic(k)
	}
	return strings.Join(keys, ", ") + more
}

func orList(fields []string) string {
	return strings.Join(fields[:len(fields)-1], ", ") + " or " + fields[len(fields)-1]
}

// htmlPage is the error for an answer that is markup: a sign-in page means
// the session was not accepted; any other page, a path that serves pages.
func (a Answer) htmlPage(body []byte) error {
	lower := bytes.ToLower(body)
	signIn := bytes.Contains(lower, []byte(`type="password"`)) || bytes.Contains(lower, []byte(`type=password`)) ||
		bytes.Contains(lower, []byte("sign in")) || bytes.Contains(lower, []byte("log in"))
	hint := fmt.Sprintf("check --%s-path: it should answer the %s itself (text or JSON), not a page; clilogin check -b URL walks the backend's paths",
		a.Step, map[string]string{"token": "token", "whoami": "identity"}[a.Step])
	if signIn && a.Step == "token" {
		hint = "the page looks like a sign-in page: the backend did not accept the session cookies; check --backend (its host must be the one the login ended on) and --callback-path, or run clilogin check -b URL"
	}
	return failure.New(failure.Unreachable, hint, "the backend answered an HTML page at %s, not a %s: %s", a.Path, a.Step, a.Received())
}

// wrong is the error for an answer that holds no usable token or identity.
func (a Answer) wrong(what, hint string) error {
	if hint == "" {
		hint = fmt.Sprintf("check --%s-path; clilogin check -b URL walks the backend's paths", a.Step)
	}
	return failure.New(failure.Unreachable, hint, "the backend's %s path %s answered %s: %s", a.Step, a.Path, what, a.Received())
}

// jwtLike and tokenLike are compiled when an answer is first shown, not at
// every start: a cache hit never needs them.
var (
	jwtLike = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*`)
	})
	// tokenLike is a long run of the characters tokens are made of: in the
	// token path's answer it may well be one.
	tokenLike = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[A-Za-z0-9._~+/=-]{16,}`) })
)

// Received says what the answer was: its content type, its size and its
// first bytes, with secrets and anything like a JWT (at the token path,
// anything like a token) masked and control characters escaped.
func (a Answer) Received() string {
	ct := a.ContentType
	if ct == "" {
		ct = "no Content-Type"
	}
	const most = 80
	head := a.Body
	if len(head) > 4*most {
		head = head[:4*most]
	}
	s := jwtLike().ReplaceAllString(redact.Secrets(strings.ToValidUTF8(string(head), "\uFFFD"), a.secrets...), redact.Mask)
	if a.Step == "token" {
		s = tokenLike().ReplaceAllString(s, redact.Mask)
	}
	cut := ""
	if r := []rune(s); len(r) > most {
		s, cut = string(r[:most]), "…"
	} else if len(head) < len(a.Body) {
		cut = "…"
	}
	return fmt.Sprintf("%s, %d bytes: %s%s", strconv.QuoteToGraphic(ct), len(a.Body), strconv.QuoteToGraphic(s), cut)
}
