// Package marker is the backend's success marker (--success): it parses a
// text:, css: or xpath: marker and refuses at once what Chrome cannot parse,
// gives the JavaScript expression that matches it in a page (internal/browser
// evaluates it in Chrome), and matches it in a page's static HTML, as the
// replay does without a browser. It imports no browser code, so that
// internal/replay and internal/check stay free of chromedp.
package marker
