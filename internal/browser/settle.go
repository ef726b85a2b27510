package browser

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The settle watcher: what the page model (internal/pagemodel's settle.go)
// needs to know when a state is settled, from the page's own events.

//go:embed settle.js
var settleJS string

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
