package browser

import "testing"

func TestMatchHTML(t *testing.T) {
	for _, tt := range []struct {
		marker, page string
		want         bool
	}{
		{"text:ok", "ok", true}, // the seed's bare body
		{"text:ok", "<html><body><p>Login ok!</p></body></html>", true}, // whole word
		{"text:ok", "<p>token</p>", false},
		{"text:ok", "<script>var ok = 1</script><p>wait</p>", false}, // not visible
		{"text:ok", "<title>ok</title><p>wait</p>", false},
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
	} {
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
