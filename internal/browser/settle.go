package browser

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// When a state reached by an action is settled enough to act on it (or to
// judge it) is told by events, not by a clock: the document has loaded, no
// request of the page is pending (the DevTools network events of the main
// frame: XHR, fetch, scripts, and no new document on its way), and the
// page's event loop has been idle since the DOM last changed and since the
// last of those requests ended (settle.js, reported by the probe). Only a
// page that shows a sign of change that no event ends waits on a clock,
// bounded: an error-like box still without its text (LemonLDAP::NG
// translates its messages after the page loads), and an error that the
// action seems to have produced in the same document, which ends the login
// and must not be judged while a script may still hold the submit back.

//go:embed settle.js
var settleJS string

// quietFor is how long a state showing such a sign must stay unchanged
// before it is acted on (or judged); quietCap is how long a page that never
// settles (an animation, a request that never ends) is waited for.
const (
	quietFor = 500 * time.Millisecond
	quietCap = 2 * time.Second
)

// settleReport is what the probe says about the page's settling.
type settleReport struct {
	Settle *watchState `json:"settle"` // nil: no watcher in this document
	Blank  int         `json:"blank"`  // error-like boxes shown without text
}

// watchState is the settle watcher's answer.
type watchState struct {
	Changes int  `json:"changes"` // DOM changes so far
	Calm    bool `json:"calm"`    // idle since the last one
	Gen     int  `json:"gen"`     // the requests ended, as the probe was told
}

// settling follows the page's own requests (not documents) of the main
// frame that can still change it.
type settling struct {
	key      string // the watcher's property name
	inFlight map[network.RequestID]bool
	ended    int
}

// watchRequests are the kinds of request whose answer a page's script
// handles: it may change the page.
var watchRequests = map[network.ResourceType]bool{
	network.ResourceTypeXHR: true, network.ResourceTypeFetch: true, network.ResourceTypeScript: true,
}

// installWatcher adds the settle watcher to every document the window
// opens from now on.
func (s *loginRun) installWatcher(ctx context.Context) error {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	key := "c" + hex.EncodeToString(b)
	s.mu.Lock()
	s.settling.key = key
	s.mu.Unlock()
	if _, err := chromedp.Call(ctx, runtime.AddBinding, runtime.AddBindingParams{Name: key + "_"}); err != nil {
		return err
	}
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: settleJS + `("` + key + `")`})
	return err
}

// settleConfig is what the probe is told about the watcher.
func (s *loginRun) settleConfig() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.settling.key == "" {
		return nil
	}
	return map[string]any{"key": s.settling.key, "gen": s.settling.ended}
}

// trackRequest follows the main frame's requests that can change the page,
// and wakes the login when the watcher says the page turned calm. It runs
// in chromedp's event loop.
func (s *loginRun) trackRequest(ev any) {
	var id network.RequestID
	switch e := ev.(type) {
	case *runtime.EventBindingCalled:
		s.mu.Lock()
		ours := s.settling.key != "" && e.Name == s.settling.key+"_"
		s.mu.Unlock()
		if ours {
			s.poke()
		}
		return
	case *network.EventRequestWillBeSent:
		s.mu.Lock()
		if e.FrameID == s.nav.frame && watchRequests[e.Type] {
			if s.settling.inFlight == nil {
				s.settling.inFlight = map[network.RequestID]bool{}
			}
			s.settling.inFlight[e.RequestID] = true
		}
		s.mu.Unlock()
		return
	case *network.EventLoadingFinished:
		id = e.RequestID
	case *network.EventLoadingFailed:
		id = e.RequestID
	default:
		return
	}
	s.mu.Lock()
	ended := s.settling.inFlight[id]
	if ended {
		delete(s.settling.inFlight, id)
		s.settling.ended++
	}
	s.mu.Unlock()
	if ended {
		s.poke()
	}
}

// requestsDone says whether no request that can change the page is
// pending, none ended since the probe that answered gen was sent, and no
// new document is on its way.
func (s *loginRun) requestsDone(gen int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.settling.inFlight) == 0 && s.settling.ended == gen && len(s.nav.inFlight) == 0
}

// quiet says whether the state in p, reached by pd's action, may be acted
// on. judging: p shows an error that the action seems to have produced in
// the same document.
func (s *loginRun) quiet(pd *pending, p probe, judging bool) bool {
	now := time.Now()
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
	if p.Ready != "complete" || !p.Settle.Calm || !s.requestsDone(p.Settle.Gen) {
		return false
	}
	return unchanged || !judging && p.Blank == 0
}
