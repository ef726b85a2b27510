package marker

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
)

// The selector lists of the marker tests say what Chrome accepts and
// refuses: Chrome itself confirms them, so that ParseMarker's checks are
// measured against the browser, not against the Go parsers.
func TestSelectorListsAgreeWithChrome(t *testing.T) {
	needBrowser(t)
	actx, cancel := remote.NewAllocator(context.Background(), devtools)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 30*time.Second)
	defer cancelT()
	accepts := func(kind, v string) bool {
		q, _ := json.Marshal(v)
		js := `(() => { try { document.querySelector(` + string(q) + `); return true } catch (e) { return false } })()`
		if kind == "xpath" {
			js = `(() => { try { document.evaluate(` + string(q) + `, document, null, XPathResult.ANY_TYPE, null); return true } catch (e) { return false } })()`
		}
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for kind, lists := range map[string][2][]string{
		"css":   {chromeAcceptsCSS, chromeRefusesCSS},
		"xpath": {chromeAcceptsXPath, chromeRefusesXPath},
	} {
		for _, v := range lists[0] {
			if !accepts(kind, v) {
				t.Errorf("Chrome refuses the %s %q of the accepted list", kind, v)
			}
		}
		for _, v := range lists[1] {
			if accepts(kind, v) {
				t.Errorf("Chrome accepts the %s %q of the refused list", kind, v)
			}
		}
	}
}
