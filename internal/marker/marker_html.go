package marker

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/andybalholm/cascadia"
	"github.com/antchfx/xpath"
	"golang.org/x/net/html"
)

// MatchHTML reports whether a page's static HTML shows the marker, as the
// probe would in the browser: a text marker in the visible text at word
// boundaries, a CSS selector that selects something, an XPath expression
// that selects a node or is true, a non-empty string or a non-zero number.
// No script runs, so a page that renders its marker with JavaScript does
// not match.
func (m Marker) MatchHTML(page []byte) (bool, error) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return false, fmt.Errorf("marker: %w", err)
	}
	switch m.Kind {
	case "css":
		sel, err := cascadia.Compile(m.Value)
		if err != nil {
			return false, fmt.Errorf("marker %s: %w", m, err)
		}
		return cascadia.Query(doc, sel) != nil, nil
	case "xpath":
		expr, err := xpath.Compile(m.Value)
		if err != nil {
			return false, fmt.Errorf("marker %s: %w", m, err)
		}
		switch v := expr.Evaluate(newHTMLNav(doc)).(type) {
		case bool:
			return v, nil
		case float64:
			return v != 0 && v == v, nil // NaN is false
		case string:
			return v != "", nil
		case *xpath.NodeIterator:
			return v.MoveNext(), nil
		}
		return false, nil
	}
	re, err := regexp.Compile(`(^|[^\pL\pN_])` + regexp.QuoteMeta(m.Value) + `($|[^\pL\pN_])`)
	if err != nil {
		return false, fmt.Errorf("marker %s: %w", m, err)
	}
	return re.MatchString(visibleText(doc)), nil
}

// visibleText is the text of a document's body a person would see, as the
// browser's innerText has it: no script, style, template or head content,
// nothing of an element the page hides (the hidden attribute, an inline
// display:none or visibility:hidden, a dialog that is not open), no
// textarea's text; elements' texts separated by white space. Style sheets
// are not read: a marker hidden by a class is still seen.
func visibleText(doc *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "style", "template", "noscript", "head", "title", "textarea":
				return
			}
			if hiddenElement(n) {
				return
			}
			b.WriteByte(' ')
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return strings.Join(strings.Fields(b.String()), " ")
}

// hiddenElement reports whether n is not rendered by its own markup.
func hiddenElement(n *html.Node) bool {
	open := false
	for _, a := range n.Attr {
		switch a.Key {
		case "hidden":
			return true
		case "style":
			for _, decl := range strings.Split(a.Val, ";") {
				prop, val, _ := strings.Cut(decl, ":")
				prop = strings.ToLower(strings.TrimSpace(prop))
				val = strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(val), "!important")))
				if prop == "display" && val == "none" || prop == "visibility" && (val == "hidden" || val == "collapse") {
					return true
				}
			}
		case "open":
			open = true
		}
	}
	return n.Data == "dialog" && !open
}
