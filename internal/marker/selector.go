package marker

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/andybalholm/cascadia"
	"github.com/antchfx/xpath"
)

// checkSelector refuses a css: or xpath: marker that Chrome cannot parse,
// so that a typo is a usage error at once instead of a login that waits for
// its timeout. The Go parsers know less than Chrome does, so what they do
// not know is given the benefit of the doubt: pseudo-classes and
// pseudo-elements cascadia lacks (:is, :where, :has(> …), ::part, …) and
// namespace prefixes are checked for balance only, and so are the XPath 1.0
// functions the xpath package lacks (id, lang). Chrome still decides: a
// selector it refuses finds nothing.
func checkSelector(kind, v string) error {
	switch kind {
	case "css":
		if _, err := cascadia.ParseGroup(v); err == nil {
			return nil
		} else if relaxed, ok := relaxCSS(v); !ok {
			return fmt.Errorf("%q is not a valid CSS selector: %v", v, err)
		} else if _, rerr := cascadia.ParseGroup(relaxed); rerr != nil {
			return fmt.Errorf("%q is not a valid CSS selector: %v", v, err)
		}
		return nil
	case "xpath":
		if !balanced(v) {
			return fmt.Errorf("%q is not a valid XPath expression: unbalanced brackets, parentheses or quotes", v)
		}
		_, err := xpath.Compile(v)
		if err == nil {
			return nil
		}
		if m := unsupportedFunc().FindStringSubmatch(err.Error()); m != nil && xpath1Funcs[m[1]] {
			return nil // Chrome knows it; the balance was checked above
		}
		return fmt.Errorf("%q is not a valid XPath expression: %v", v, err)
	}
	return nil
}

// CheckCSS refuses a CSS selector Chrome cannot parse (see checkSelector),
// for the selectors of --username-field, --password-field and --submit.
func CheckCSS(v string) error { return checkSelector("css", v) }

var unsupportedFunc = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`not yet support this function ([\w-]+)\(\)`)
})

// xpath1Funcs are XPath 1.0's core functions, all of which Chrome knows.
var xpath1Funcs = map[string]bool{
	"last": true, "position": true, "count": true, "id": true, "local-name": true, "namespace-uri": true,
	"name": true, "string": true, "concat": true, "starts-with": true, "contains": true,
	"substring-before": true, "substring-after": true, "substring": true, "string-length": true,
	"normalize-space": true, "translate": true, "boolean": true, "not": true, "true": true, "false": true,
	"lang": true, "number": true, "sum": true, "floor": true, "ceiling": true, "round": true,
}

// relaxCSS replaces, outside attribute brackets and strings, every
// pseudo-class or pseudo-element (with its balanced argument) by an
// attribute selector, drops the namespace prefixes "*|" and "|", and
// closes a string or bracket left open at the end as CSS does, so that
// cascadia can check the rest. ok is false when parentheses do not balance
// or a named namespace prefix (which a page cannot declare) is used.
func relaxCSS(s string) (string, bool) {
	var out strings.Builder
	r := []rune(s)
	ident := func(c rune) bool {
		return c == '-' || c == '_' || c == '\\' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c > 0x7f
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '"' || c == '\'':
			j := skipString(r, i)
			if j < 0 { // CSS closes a string left open at the end
				out.WriteString(string(r[i:]) + string(c))
				return out.String(), true
			}
			out.WriteString(string(r[i : j+1]))
			i = j
		case c == '[':
			j := i + 1
			for ; j < len(r) && r[j] != ']'; j++ {
				if r[j] == '"' || r[j] == '\'' {
					if k := skipString(r, j); k >= 0 {
						j = k
						continue
					}
					// CSS closes the string and the bracket at the end
					out.WriteString(string(r[i:]) + string(r[j]) + "]")
					return out.String(), true
				}
			}
			if j >= len(r) {
				out.WriteString(string(r[i:]) + "]")
				return out.String(), true
			}
			out.WriteString(string(r[i : j+1]))
			i = j
		case c == ':':
			j := i + 1
			if j < len(r) && r[j] == ':' {
				j++
			}
			start := j
			for j < len(r) && ident(r[j]) {
				j++
			}
			if j == start {
				return "", false
			}
			if j < len(r) && r[j] == '(' {
				k := closeParen(r, j)
				if k < 0 && strings.TrimSpace(string(r[j+1:])) != "" {
					// CSS closes a parenthesis left open at the end
					out.WriteString("[x]")
					return out.String(), true
				}
				if k < 0 {
					return "", false
				}
				j = k + 1
			}
			out.WriteString("[x]")
			i = j - 1
		case c == '|' && (i+1 >= len(r) || r[i+1] != '='):
			// a namespace: "*|" or "|" (no namespace) are known to a
			// document's querySelector; a named prefix is not declared
			b := []rune(out.String())
			k := len(b)
			if k > 0 && b[k-1] == '*' {
				k--
			} else if k > 0 && ident(b[k-1]) {
				return "", false
			}
			out.Reset()
			out.WriteString(string(b[:k]))
		case c == '(' || c == ')' || c == ']':
			return "", false // outside a pseudo's argument: not CSS
		default:
			out.WriteRune(c)
		}
	}
	return out.String(), true
}

// skipString returns the index of the quote that closes the string opened
// at r[i], or -1.
func skipString(r []rune, i int) int {
	q := r[i]
	for j := i + 1; j < len(r); j++ {
		switch r[j] {
		case '\\':
			j++
		case q:
			return j
		}
	}
	return -1
}

// closeParen returns the index of the parenthesis that closes the one at
// r[i], skipping strings and nested parentheses, or -1.
func closeParen(r []rune, i int) int {
	depth := 0
	for j := i; j < len(r); j++ {
		switch r[j] {
		case '"', '\'':
			if j = skipString(r, j); j < 0 {
				return -1
			}
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return j
			}
		}
	}
	return -1
}

// balanced reports whether the brackets and parentheses of an XPath
// expression nest properly outside its string literals, and its literals
// are closed.
func balanced(s string) bool {
	var stack []rune
	r := []rune(s)
	for i := 0; i < len(r); i++ {
		switch c := r[i]; c {
		case '"', '\'':
			j := strings.IndexRune(string(r[i+1:]), c)
			if j < 0 {
				return false
			}
			i += len([]rune(string(r[i+1:])[:j])) + 1
		case '(', '[':
			stack = append(stack, c)
		case ')', ']':
			open := map[rune]rune{')': '(', ']': '['}[c]
			if len(stack) == 0 || stack[len(stack)-1] != open {
				return false
			}
			stack = stack[:len(stack)-1]
		}
	}
	return len(stack) == 0
}
