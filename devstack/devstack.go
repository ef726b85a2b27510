// Package devstack runs a real OpenID Connect provider (Dex, in-process) and
// a reference backend that follows clilogin's backend contract, both on
// loopback with free ports. The IdP answers on "localhost" and the backend on
// "127.0.0.1", so that a browser keeps their cookies apart as it would for
// two real sites.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// User is a person the IdP knows.
type User struct {
	Username string
	Email    string
	Password string
}

// Config tunes the stack. The zero value is a working stack with one user.
type Config struct {
	Users    []User        // default: DemoUser
	Approval bool          // show Dex's approval (consent) page
	TokenTTL time.Duration // id_token lifetime, default 1h
	// FreshTokens makes /user/token renew the id_token with the IdP's
	// refresh token on every call, as a backend that refreshes would.
	FreshTokens bool
	// SessionOnly makes Dex's sign-in session a session-only cookie (its
	// "remember me" unchecked): Chrome drops it when it starts again.
	SessionOnly bool
	Logger      *slog.Logger // default: discard
	// IdP is the identity provider: "dex" (the default) or "zitadel", the
	// example OP of zitadel/oidc, with its own login page, on
	// http://localhost:PORT (see zitadel.go).
	IdP string
	// External, when set, is an identity provider running elsewhere (a
	// packaged IdP started by a test): it is given the backend's client
	// and returns the IdP's issuer URL. IdP and IdPFault are then ignored.
	External func(ctx context.Context, c Client) (issuer string, err error)

	// BackendFault and IdPFault wrap the backend's and the IdP's handlers,
	// to inject faults in tests: errors, wrong answers, delays, redirects.
	BackendFault func(http.Handler) http.Handler
	IdPFault     func(http.Handler) http.Handler

	// Clients are more OAuth clients the IdP knows, for backends other
	// than the reference one (the seed's Flask backend, other frameworks').
	Clients []Client
}

// Client is an OAuth client registered at the IdP.
type Client struct {
	ID, Secret   string
	RedirectURIs []string
}

// DemoUser is the user of a stack started with no users.
var DemoUser = User{Username: "alice", Email: "alice@example.com", Password: "wonderland-42"}

// Stack is a running IdP and backend.
type Stack struct {
	IssuerURL  string // http://localhost:PORT/dex
	BackendURL string // http://127.0.0.1:PORT
	Users      []User

	idp, backend *http.Server
	b            *backend
}

const (
	clientID     = "clilogin-demo"
	clientSecret = "demo-client-secret"
)

// Start starts the IdP and the backend. Close stops them.
func Start(ctx context.Context, c Config) (*Stack, error) {
	if len(c.Users) == 0 {
		c.Users = []User{DemoUser}
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = time.Hour
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}

	idpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("devstack: listen: %w", err)
	}
	backendLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		idpLn.Close()
		return nil, fmt.Errorf("devstack: listen: %w", err)
	}
	s := &Stack{
		IssuerURL:  fmt.Sprintf("http://localhost:%d/dex", idpLn.Addr().(*net.TCPAddr).Port),
		BackendURL: fmt.Sprintf("http://127.0.0.1:%d", backendLn.Addr().(*net.TCPAddr).Port),
		Users:      c.Users,
	}

	ic := idpConfig{
		issuer:       s.IssuerURL,
		clientID:     clientID,
		clientSecret: clientSecret,
		redirectURI:  s.BackendURL + "/callback",
		users:        c.Users,
		approval:     c.Approval,
		sessionOnly:  c.SessionOnly,
		tokenTTL:     c.TokenTTL,
		logger:       c.Logger,
		clients:      c.Clients,
	}
	var idp http.Handler
	switch {
	case c.External != nil:
		idpLn.Close() // the IdP is elsewhere
		s.IssuerURL, err = c.External(ctx, Client{ID: clientID, Secret: clientSecret, RedirectURIs: []string{ic.redirectURI}})
		if err == nil {
			idp = http.NotFoundHandler()
			idpLn, err = net.Listen("tcp", "127.0.0.1:0") // unused; keeps Close simple
		}
	case c.IdP == "" || c.IdP == "dex":
		idp, err = newIdP(ctx, ic)
	case c.IdP == "zitadel":
		s.IssuerURL = fmt.Sprintf("http://localhost:%d", idpLn.Addr().(*net.TCPAddr).Port)
		ic.issuer = s.IssuerURL
		idp, err = newZitadel(ic)
	default:
		err = fmt.Errorf("devstack: unknown IdP %q (want dex or zitadel)", c.IdP)
	}
	if err != nil {
		idpLn.Close()
		backendLn.Close()
		return nil, err
	}
	if c.IdPFault != nil && c.External == nil {
		idp = c.IdPFault(idp)
	}
	s.idp = &http.Server{Handler: idp, ReadHeaderTimeout: 10 * time.Second}
	go s.idp.Serve(idpLn)

	provider, err := oidc.NewProvider(ctx, s.IssuerURL)
	if err != nil {
		s.idp.Close()
		backendLn.Close()
		return nil, fmt.Errorf("devstack: discover %s: %w", s.IssuerURL, err)
	}
	b := newBackend(provider, oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Endpoint:     provider.Endpoint(),
		RedirectURL:  s.BackendURL + "/callback",
		Scopes:       scopes(c.FreshTokens),
	}, c.Logger)
	b.fresh = c.FreshTokens
	s.b = b
	routes := b.routes()
	if c.BackendFault != nil {
		routes = c.BackendFault(routes)
	}
	s.backend = &http.Server{Handler: routes, ReadHeaderTimeout: 10 * time.Second}
	go s.backend.Serve(backendLn)
	return s, nil
}

func scopes(refresh bool) []string {
	s := []string{oidc.ScopeOpenID, "email", "profile"}
	if refresh {
		s = append(s, oidc.ScopeOfflineAccess)
	}
	return s
}

// Secrets returns every secret the backend has handed out: session cookie
// values and tokens, for tests that check none of them leaks.
func (s *Stack) Secrets() []string { return s.b.secrets() }

// ForgetSessions ends the backend's sessions: its session cookies stop
// working, as after a restart. The IdP's sessions stay.
func (s *Stack) ForgetSessions() { s.b.forgetSessions() }

// StopBackend stops the backend alone; the IdP keeps running.
func (s *Stack) StopBackend() error { return s.backend.Close() }

// StopIdP stops the IdP alone; the backend keeps running.
func (s *Stack) StopIdP() error { return s.idp.Close() }

// Close stops both servers.
func (s *Stack) Close() error {
	return errors.Join(s.backend.Close(), s.idp.Close())
}
