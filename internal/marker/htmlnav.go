package marker

import (
	"strings"

	"github.com/antchfx/xpath"
	"golang.org/x/net/html"
)

// htmlNav walks an x/net/html tree for antchfx/xpath: an element, a text or
// comment node, or attr ≥ 0 for the element's attribute of that index.
// (htmlquery has one too, but it brings every x/text encoding table into
// the binary, which every clilogin start would pay for.)
type htmlNav struct {
	root, node *html.Node
	attr       int
}

func newHTMLNav(root *html.Node) *htmlNav { return &htmlNav{root: root, node: root, attr: -1} }

func (n *htmlNav) NodeType() xpath.NodeType {
	if n.attr >= 0 {
		return xpath.AttributeNode
	}
	switch n.node.Type {
	case html.DocumentNode:
		return xpath.RootNode
	case html.TextNode:
		return xpath.TextNode
	case html.CommentNode:
		return xpath.CommentNode
	}
	return xpath.ElementNode
}

func (n *htmlNav) LocalName() string {
	if n.attr >= 0 {
		return n.node.Attr[n.attr].Key
	}
	return n.node.Data
}

func (n *htmlNav) Prefix() string { return "" }

// Value is an attribute's value, a text's or comment's data, or an
// element's text content.
func (n *htmlNav) Value() string {
	switch {
	case n.attr >= 0:
		return n.node.Attr[n.attr].Val
	case n.node.Type == html.TextNode || n.node.Type == html.CommentNode:
		return n.node.Data
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
		for k := c.FirstChild; k != nil; k = k.NextSibling {
			walk(k)
		}
	}
	walk(n.node)
	return b.String()
}

func (n *htmlNav) Copy() xpath.NodeNavigator { c := *n; return &c }

func (n *htmlNav) MoveToRoot() { n.node, n.attr = n.root, -1 }

func (n *htmlNav) MoveToParent() bool {
	switch {
	case n.attr >= 0:
		n.attr = -1
		return true
	case n.node.Parent != nil:
		n.node = n.node.Parent
		return true
	}
	return false
}

func (n *htmlNav) MoveToNextAttribute() bool {
	if n.attr+1 >= len(n.node.Attr) {
		return false
	}
	n.attr++
	return true
}

func (n *htmlNav) MoveToChild() bool {
	if n.attr >= 0 || n.node.FirstChild == nil {
		return false
	}
	n.node = n.node.FirstChild
	return true
}

func (n *htmlNav) MoveToFirst() bool {
	if n.attr >= 0 || n.node.PrevSibling == nil {
		return false
	}
	for n.node.PrevSibling != nil {
		n.node = n.node.PrevSibling
	}
	return true
}

func (n *htmlNav) MoveToNext() bool {
	if n.attr >= 0 || n.node.NextSibling == nil {
		return false
	}
	n.node = n.node.NextSibling
	return true
}

func (n *htmlNav) MoveToPrevious() bool {
	if n.attr >= 0 || n.node.PrevSibling == nil {
		return false
	}
	n.node = n.node.PrevSibling
	return true
}

func (n *htmlNav) MoveTo(other xpath.NodeNavigator) bool {
	o, ok := other.(*htmlNav)
	if !ok || o.root != n.root {
		return false
	}
	n.node, n.attr = o.node, o.attr
	return true
}
