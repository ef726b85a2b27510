package marker

import (
	"strings"
	"testing"
)

func TestParseMarkerAcceptsTextCSSAndXPath(t *testing.T) {
	tests := []struct {
		in   string
		want Marker
	}{
		{"text:ok", Marker{Kind: "text", Value: "ok"}},
		{"text:Login ok!", Marker{Kind: "text", Value: "Login ok!"}},
		{"text: spaced ", Marker{Kind: "text", Value: " spaced "}}, // kept as given
		{"text:a:b:c", Marker{Kind: "text", Value: "a:b:c"}},       // only the first colon separates
		{"css:#logged-in", Marker{Kind: "css", Value: "#logged-in"}},
		{"css:a[href^='https:']", Marker{Kind: "css", Value: "a[href^='https:']"}},
		{"xpath://div[@id='ok']", Marker{Kind: "xpath", Value: "//div[@id='ok']"}},
		{"xpath:count(//li) > 0", Marker{Kind: "xpath", Value: "count(//li) > 0"}},
		{"text:ünïcødé ✓", Marker{Kind: "text", Value: "ünïcødé ✓"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMarker(tt.in)
			if err != nil {
				t.Fatalf("ParseMarker(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseMarker(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.String() != tt.in {
				t.Errorf("ParseMarker(%q).String() = %q, want the input back", tt.in, got.String())
			}
		})
	}
}

func TestParseMarkerRejectsBadMarkers(t *testing.T) {
	tests := []struct {
		in      string
		wantMsg string
	}{
		{"", "no kind"},
		{"ok", "no kind"},
		{"Login ok!", "no kind"},
		{"TEXT:ok", "not text, css or xpath"},
		{"Text:ok", "not text, css or xpath"},
		{" text:ok", "not text, css or xpath"},
		{"html:<p>", "not text, css or xpath"},
		{"regex:o+k", "not text, css or xpath"},
		{":ok", "not text, css or xpath"},
		{"text:", "empty"},
		{"css:", "empty"},
		{"xpath:   ", "empty"},
		{"text:\t\n", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMarker(tt.in)
			if err == nil {
				t.Fatalf("ParseMarker(%q) = %+v, want an error", tt.in, got)
			}
			if got != (Marker{}) {
				t.Errorf("ParseMarker(%q) returned %+v with its error, want the zero Marker", tt.in, got)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("ParseMarker(%q) error %q, want it to say %q", tt.in, err, tt.wantMsg)
			}
		})
	}
}

// FuzzParseMarker checks that ParseMarker never panics, that what it accepts
// is well formed, and that it keeps the input whole (String gives it back).
func FuzzParseMarker(f *testing.F) {
	for _, s := range []string{"text:ok", "css:#id", "xpath://a[@x=':']", "text:", ":", "", "nokind", "TEXT:x", "text: ", "text::", "css:\x00", "xpath:\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMarker(s)
		if err != nil {
			if m != (Marker{}) {
				t.Fatalf("ParseMarker(%q) = %+v with error %v", s, m, err)
			}
			return
		}
		switch m.Kind {
		case "text", "css", "xpath":
		default:
			t.Fatalf("ParseMarker(%q) kind = %q", s, m.Kind)
		}
		if strings.TrimSpace(m.Value) == "" {
			t.Fatalf("ParseMarker(%q) accepted an empty value", s)
		}
		if m.String() != s {
			t.Fatalf("ParseMarker(%q).String() = %q", s, m.String())
		}
	})
}

// FuzzMarkerStringParsesBack goes the other way: a text marker built from
// any value that is not blank (colons, spaces and all) is written by String
// as ParseMarker reads it back.
func FuzzMarkerStringParsesBack(f *testing.F) {
	for _, v := range []string{"ok", "a:b:c", ":", "css:#x", " spaced ", "text:ok", "ünïcødé ✓", "x\x00y"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if strings.TrimSpace(v) == "" {
			return
		}
		m := Marker{Kind: "text", Value: v}
		back, err := ParseMarker(m.String())
		if err != nil || back != m {
			t.Fatalf("ParseMarker(%q) = %+v, %v; want %+v", m.String(), back, err, m)
		}
	})
}

// Selectors Chrome accepts, some of which the Go parsers do not know: they
// must not be refused.
var chromeAcceptsCSS = []string{
	"#logged-in", "div.ok > span", "a[href^='https:']", "[data-state=done i]", "li:nth-child(2n+1)",
	"main:has(> h1.welcome)", ":is(h1, h2).title", ":where(.a, .b)", "input:focus-visible", "p::first-line",
	"li:nth-child(2 of .item)", "*|h1", "|h1", "a[href='x]", "a:not(.x", ":root", "a:any-link", "dialog:modal", ":not(.x, .y)",
	"h1:lang(en)", "x-app::part(title)", ":host", "p:dir(ltr)", "details[open] > summary",
}

var chromeAcceptsXPath = []string{
	"//div[@id='ok']", "count(//li) > 0", "//h1[normalize-space()='Welcome']", "id('done')", "//*[lang('en')]",
	"boolean(//p)", "/html/body//a[contains(@href, 'x')]", "//li[position() mod 2 = 0]", "string(//title)",
	"sum(//td) > 3", "//a[starts-with(@href,'https')] | //b", "//*[local-name()='svg']",
}

var chromeRefusesCSS = []string{"[[[", "div[", "a]", "#", ".", "a > > b", "a,", "(", "div:nth-child(", "'unclosed", "svg|rect", "a:nth-child(2))"}
var chromeRefusesXPath = []string{"!!bad", "//div[", "//div]", "///", "count(", "//a[@", "@@x", ")", "//*[1"}

func TestParseMarkerRefusesBadSelectorsAtOnce(t *testing.T) {
	for _, kind := range []string{"css", "xpath"} {
		bad := map[string][]string{"css": chromeRefusesCSS, "xpath": chromeRefusesXPath}[kind]
		for _, v := range bad {
			if m, err := ParseMarker(kind + ":" + v); err == nil {
				t.Errorf("ParseMarker(%s:%s) = %+v, want an error", kind, v, m)
			} else if !strings.Contains(err.Error(), "not a valid") {
				t.Errorf("ParseMarker(%s:%s) error %q does not say it is not valid", kind, v, err)
			}
		}
		good := map[string][]string{"css": chromeAcceptsCSS, "xpath": chromeAcceptsXPath}[kind]
		for _, v := range good {
			if _, err := ParseMarker(kind + ":" + v); err != nil {
				t.Errorf("ParseMarker(%s:%s): %v; Chrome accepts it", kind, v, err)
			}
		}
	}
}
