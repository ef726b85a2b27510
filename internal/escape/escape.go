// Package escape makes text from outside clilogin (a backend's answer, an
// identity provider's page, a cache file) safe to print on a terminal: a
// control character in it could move the cursor, recolour or retitle the
// terminal, or hide the text before it.
package escape

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Control returns s with every control character written as a Go escape
// (\x1b, \n, \u009b), and every byte that is not UTF-8 as \xNN. Invisible
// format characters (Unicode category Cf: the bidirectional overrides,
// isolates and marks U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C,
// the zero width space U+200B, U+FEFF, ...) and the line and paragraph
// separators U+2028 and U+2029 count as control characters: they reorder,
// hide or break what a terminal shows. Everything else, including a
// backslash, is kept as it is; s without any of these is returned unchanged.
func Control(s string) string {
	if strings.IndexFunc(s, bad) < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && bad(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case bad(r) && r > 0xffff:
			fmt.Fprintf(&b, `\U%08x`, r)
		case bad(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

// bad reports whether r is a control character, an invisible format
// character (which includes the bidirectional overrides, isolates and marks),
// or a line or paragraph separator.
func bad(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}
