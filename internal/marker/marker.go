package marker

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Marker recognises the backend's success page.
type Marker struct {
	Kind  string // "text", "css" or "xpath"
	Value string
}

// ParseMarker parses a --success value: text:STRING, css:SELECTOR or
// xpath:EXPR.
func ParseMarker(s string) (Marker, error) {
	kind, value, ok := strings.Cut(s, ":")
	if !ok {
		return Marker{}, fmt.Errorf("marker %q has no kind; use text:STRING, css:SELECTOR or xpath:EXPR", s)
	}
	switch kind {
	case "text", "css", "xpath":
	default:
		return Marker{}, fmt.Errorf("marker kind %q is not text, css or xpath", kind)
	}
	if strings.TrimSpace(value) == "" {
		return Marker{}, fmt.Errorf("marker %q is empty", s)
	}
	if err := checkSelector(kind, value); err != nil {
		return Marker{}, err
	}
	return Marker{Kind: kind, Value: value}, nil
}

func (m Marker) String() string { return m.Kind + ":" + m.Value }

// JS returns a JavaScript expression that is true when the page shows the
// marker. A text marker matches visible text at word boundaries, so "ok"
// matches the page "ok" or "Login ok!" but not "token". A selector that the
// page cannot parse is false, never an exception.
func (m Marker) JS() string {
	v, _ := json.Marshal(m.Value) // a string always marshals
	switch m.Kind {
	case "css":
		return fmt.Sprintf(`(() => { try { return document.querySelector(%s) !== null } catch (e) { return false } })()`, v)
	case "xpath":
		return fmt.Sprintf(`(() => { try { const r = document.evaluate(%s, document, null, XPathResult.ANY_TYPE, null);
  switch (r.resultType) {
  case XPathResult.BOOLEAN_TYPE: return r.booleanValue;
  case XPathResult.NUMBER_TYPE: return r.numberValue !== 0 && !isNaN(r.numberValue);
  case XPathResult.STRING_TYPE: return r.stringValue !== "";
  default: return r.iterateNext() !== null }
} catch (e) { return false } })()`, v)
	default:
		return fmt.Sprintf(`(() => { const t = (document.body && document.body.innerText) || "";
  const s = %s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp("(^|[^\\p{L}\\p{N}_])" + s + "($|[^\\p{L}\\p{N}_])", "u").test(t) })()`, v)
	}
}
