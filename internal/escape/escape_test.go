package escape

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestControl(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice@example.com", "alice@example.com"},
		{"", ""},
		{"Jürgen Ünlü 名前", "Jürgen Ünlü 名前"},
		{`back\slash`, `back\slash`},
		{"\x1b[2J\x1b]0;owned\x07alice", `\x1b[2J\x1b]0;owned\x07alice`},
		{"a\nb\rc\td", `a\nb\rc\td`},
		{"del\x7f", `del\x7f`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"bidi \u202egnp.exe", `bidi \u202egnp.exe`},
		{"isolate \u2066x\u2069", `isolate \u2066x\u2069`},
		{"bad utf-8 \xff\xfe", `bad utf-8 \xff\xfe`},
		{"nul \x00", `nul \x00`},
		{"replacement char \ufffd kept", "replacement char \ufffd kept"},
		{"rlm a\u200fb", `rlm a\u200fb`},
		{"alm a\u061cb", `alm a\u061cb`},
		{"line sep a\u2028b", `line sep a\u2028b`},
		{"para sep a\u2029b", `para sep a\u2029b`},
		{"zwsp a\u200bb", `zwsp a\u200bb`},
		{"bom \ufeff", `bom \ufeff`},
	}
	for _, tt := range tests {
		if got := Control(tt.in); got != tt.want {
			t.Errorf("Control(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzControl checks that whatever the input, the output is valid UTF-8
// without a control character, and that clean text is kept as it is.
func FuzzControl(f *testing.F) {
	for _, s := range []string{"alice", "\x1b[31mred", "\xff", "\u202e", "a\u0085b", `\x1b`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Control(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Control(%q) = %q: not UTF-8", s, got)
		}
		if i := strings.IndexFunc(got, bad); i >= 0 {
			t.Fatalf("Control(%q) = %q: control character at %d", s, got, i)
		}
		if utf8.ValidString(s) && strings.IndexFunc(s, bad) < 0 && got != s {
			t.Fatalf("Control(%q) = %q: clean text changed", s, got)
		}
	})
}
