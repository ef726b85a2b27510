package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	gosundheit "github.com/AppsFlyer/go-sundheit"
	"github.com/dexidp/dex/server"
	"github.com/dexidp/dex/server/connectors"
	"github.com/dexidp/dex/server/session"
	"github.com/dexidp/dex/server/signer"
	"github.com/dexidp/dex/server/tokens"
	"github.com/dexidp/dex/storage"
	"github.com/dexidp/dex/storage/memory"
	"golang.org/x/crypto/bcrypt"
)

// idpConfig is what the Dex identity provider needs to know.
type idpConfig struct {
	issuer       string // e.g. http://localhost:5556/dex
	clientID     string
	clientSecret string
	redirectURI  string
	users        []User
	approval     bool
	sessionOnly  bool // Dex's session cookie without Max-Age
	tokenTTL     time.Duration
	logger       *slog.Logger
	clients      []Client // more clients
}

// newIdP builds an in-process Dex server with an in-memory store, static
// users (bcrypt hashed) and the local password connector. Sessions are on and
// "remember me" is checked by default, so the IdP's session cookie has a
// Max-Age and survives a browser restart: the second login is silent.
func newIdP(ctx context.Context, c idpConfig) (http.Handler, error) {
	passwords := make([]storage.Password, 0, len(c.users))
	for i, u := range c.users {
		hash, err := bcrypt.GenerateFromPassword([]byte(u.Password), bcrypt.MinCost+6) // cost 10, Dex's minimum
		if err != nil {
			return nil, fmt.Errorf("devstack: hash password: %w", err)
		}
		passwords = append(passwords, storage.Password{
			Email:    u.Email,
			Hash:     hash,
			Username: u.Username,
			UserID:   fmt.Sprintf("user-%d", i+1),
		})
	}

	store := memory.New(c.logger)
	clients := []storage.Client{{
		ID:           c.clientID,
		Secret:       c.clientSecret,
		RedirectURIs: []string{c.redirectURI},
		Name:         "clilogin reference backend",
	}}
	for _, more := range c.clients {
		clients = append(clients, storage.Client{ID: more.ID, Secret: more.Secret, RedirectURIs: more.RedirectURIs, Name: more.ID})
	}
	store = storage.WithStaticClients(store, clients)
	store = storage.WithStaticPasswords(store, passwords, c.logger)
	store = storage.WithStaticConnectors(store, []storage.Connector{{
		ID:   "local",
		Type: connectors.LocalConnector,
		Name: "Email",
	}})

	now := func() time.Time { return time.Now().UTC() }
	signerConfig := signer.LocalConfig{KeysRotationPeriod: "6h"}
	sig, err := signerConfig.Open(ctx, store, c.tokenTTL, now, c.logger)
	if err != nil {
		return nil, fmt.Errorf("devstack: open signer: %w", err)
	}

	refresh := tokens.NewRefreshStrategy(true, 24*time.Hour, time.Hour, 3*time.Second, now)
	srv, err := server.NewServer(ctx, server.Config{
		RefreshTokenPolicy: refresh,
		Issuer:             c.issuer,
		Storage:            store,
		SkipApprovalScreen: !c.approval,
		IDTokensValidFor:   c.tokenTTL,
		PasswordConnector:  "local",
		Logger:             c.logger,
		Signer:             sig,
		HealthChecker:      gosundheit.New(),
		Now:                now,
		SessionConfig: &session.Config{
			CookieName:                 "dex_session",
			AbsoluteLifetime:           24 * time.Hour,
			ValidIfNotUsedFor:          time.Hour,
			RememberMeCheckedByDefault: !c.sessionOnly,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("devstack: start dex: %w", err)
	}
	return srv, nil
}
