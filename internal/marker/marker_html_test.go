package marker

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
)

// matchHTMLCases are pages and whether each marker matches them, in the
// replay (MatchHTML) as in Chrome (TestMatchHTMLAgreesWithChrome).
var matchHTMLCases = []struct {
	marker, page string
	want         bool
}{
	{"text:ok", "ok", true}, // the seed's bare body
	{"text:ok", "<html><body><p>Login ok!</p></body></html>", true}, // whole word
	{"text:ok", "<p>token</p>", false},
	{"text:ok", "<script>var ok = 1</script><p>wait</p>", false}, // not visible
	{"text:ok", "<title>ok</title><p>wait</p>", false},
	// What the browser does not show is no marker (its innerText leaves
	// it out): hidden, display:none, a textarea's text, a closed dialog.
	{"text:ok", `<p hidden>ok</p><p>wait</p>`, false},
	{"text:ok", `<div style="color: red; DISPLAY : none"><p>ok</p></div>`, false},
	{"text:ok", `<p style="visibility:hidden">ok</p>`, false},
	{"text:ok", `<textarea>ok</textarea>`, false},
	{"text:ok", `<dialog><p>ok</p></dialog>`, false},
	{"text:ok", `<dialog open><p>ok</p></dialog>`, true},
	{"text:ok", `<p style="display:block">ok</p>`, true},
	{"text:ok", `<p hidden>x</p><p>ok</p>`, true},
	{"text:Signed in", "<h1>Signed\n   in</h1>", true},
	{"css:#signed-in", `<div id="signed-in">yes</div>`, true},
	{"css:#signed-in", `<div id="sign-in">no</div>`, false},
	{"xpath://h1[.='Welcome']", "<h1>Welcome</h1>", true},
	{"xpath://h1[.='Welcome']", "<h1>Sign in</h1>", false},
	{"xpath:count(//li) > 1", "<ul><li>a</li><li>b</li></ul>", true},
	{"xpath:string(//h1)", "<p>x</p>", false},
	{"xpath://a[@href='/done']", `<a href="/x">x</a><a href="/done">d</a>`, true},
	{"xpath://li[last()]/preceding-sibling::li", "<ul><li>a</li><li>b</li></ul>", true},
	{"xpath://ul/li[1]/following-sibling::li[.='b']", "<ul><li>a</li><li>b</li></ul>", true},
	{"xpath:/html/body/p/text()", "<p>ok</p>", true},
	{"xpath://p[contains(., 'signed in')]", "<div><p>You are <b>signed in</b></p></div>", true},
	{"xpath://*[@id='missing']", `<p id="here">x</p>`, false},
}

func TestMatchHTML(t *testing.T) {
	for _, tt := range matchHTMLCases {
		m, err := ParseMarker(tt.marker)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.MatchHTML([]byte(tt.page))
		if err != nil {
			t.Errorf("%s on %q: %v", tt.marker, tt.page, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s on %q = %v, want %v", tt.marker, tt.page, got, tt.want)
		}
	}
	// A selector Chrome knows and cascadia does not (ParseMarker lets
	// unknown pseudo-classes through) is an error, so that the replay
	// leaves the page to the browser.
	for _, m := range []Marker{{Kind: "css", Value: "p:bogus-state"}, {Kind: "xpath", Value: "//p[@"}} {
		if _, err := m.MatchHTML([]byte("<p>x</p>")); err == nil {
			t.Errorf("%s matched without an error", m)
		}
	}
}

// The replay's MatchHTML cases say what the browser shows: Chrome, given
// each page, finds the marker (by the probe's own expression) exactly where
// the cases say.
func TestMatchHTMLAgreesWithChrome(t *testing.T) {
	needBrowser(t)
	actx, cancel := remote.NewAllocator(context.Background(), devtools)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 30*time.Second)
	defer cancelT()
	for _, tt := range matchHTMLCases {
		m, err := ParseMarker(tt.marker)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Navigate("data:text/html;charset=utf-8,"+url.PathEscape(tt.page))); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[bool](m.JS()))
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("Chrome: %s on %q = %v, want %v", tt.marker, tt.page, got, tt.want)
		}
	}
}
