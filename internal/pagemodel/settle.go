package pagemodel

import "time"

// When a state reached by an action is settled enough to act on it (or to
// judge it) is told by events, not by a clock: the document has loaded, no
// request of the page is pending (the DevTools network events of the main
// frame: XHR, fetch, scripts, and no new document on its way), and the
// page's event loop has been idle since the DOM last changed and since the
// last of those requests ended (internal/browser's settle.js, reported
// by the probe). Only a
// page that shows a sign of change that no event ends waits on a clock,
// bounded: an error-like box still without its text (LemonLDAP::NG
// translates its messages after the page loads), and an error that the
// action seems to have produced in the same document, which ends the login
// and must not be judged while a script may still hold the submit back.

// quietFor is how long a state showing such a sign must stay unchanged
// before it is acted on (or judged); quietCap is how long a page that never
// settles (an animation, a request that never ends) is waited for.
const (
	quietFor = 500 * time.Millisecond
	quietCap = 2 * time.Second
)

// quiet says whether the state in p, reached by pd's action, may be acted
// on. judging: p shows an error that the action seems to have produced in
// the same document.
func (f *Model) quiet(pd *pending, p Probe, judging bool) bool {
	now := f.cfg.Now()
	if pd.settledAt.IsZero() {
		pd.settledAt = now
	}
	if p.Doc != pd.seenDoc || p.FP != pd.seenFP {
		pd.seenDoc, pd.seenFP, pd.seenAt = p.Doc, p.FP, now
	}
	if now.Sub(pd.settledAt) >= quietCap {
		return true
	}
	unchanged := now.Sub(pd.seenAt) >= quietFor
	if p.Settle == nil { // no watcher in this document: the clock alone
		return unchanged
	}
	if p.Ready != "complete" || !p.Settle.Calm || !f.page.RequestsDone(p.Settle.Gen) {
		return false
	}
	return unchanged || !judging && p.Blank == 0
}
