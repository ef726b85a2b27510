package browser

import (
	"context"
	_ "embed"
	"encoding/json"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clilogin/clilogin/internal/pagemodel"
)

// The page model (internal/pagemodel) sees the IdP's page through
// pagemodel.Page: chromePage is the login's Chrome page, probed and acted on
// by probe.js, and followed by the window's events (events.go, settle.go).

//go:embed probe.js
var probeJS string

// chromePage is the login's window as the page model's Page.
type chromePage struct{ s *loginRun }

func (c chromePage) Act(ctx context.Context, a *pagemodel.Action) (pagemodel.Probe, error) {
	return c.s.run(ctx, a)
}
func (c chromePage) Documents() int            { return c.s.documents() }
func (c chromePage) Navigated() int            { return c.s.navigated() }
func (c chromePage) Leaving(n int) bool        { return c.s.leaving(n) }
func (c chromePage) RequestsDone(gen int) bool { return c.s.requestsDone(gen) }

// pageModel is the page model of this login.
func (s *loginRun) pageModel() *pagemodel.Model {
	c := s.cfg
	return pagemodel.New(pagemodel.Config{
		Username: c.Username, Password: c.Password, TOTPSecret: c.TOTPSecret,
		Headless: c.Headless, NoConsent: c.NoConsent, InsecureHTTP: c.InsecureHTTP,
		Passkey: c.Passkey != nil, EnrollPasskey: c.EnrollPasskey, Prompt: c.Prompt,
		Logf: c.Logf, Warnf: c.Warnf, Ended: s.waitError,
	}, chromePage{s})
}

// run evaluates the probe in the page, acting when act is not nil.
func (s *loginRun) run(ctx context.Context, act *pagemodel.Action) (pagemodel.Probe, error) {
	cfg, _ := json.Marshal(map[string]any{
		"marker":        s.cfg.Marker.JS(),
		"usernameField": s.cfg.UsernameField,
		"passwordField": s.cfg.PasswordField,
		"submit":        s.cfg.Submit,
		"settle":        s.settleConfig(),
	})
	actJSON := []byte("null")
	if act != nil {
		actJSON, _ = json.Marshal(act)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[pagemodel.Probe](probeJS+"("+string(cfg)+","+string(actJSON)+")"))
}
