package devstack

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// sessionCookie is the name of the backend's session cookie.
const sessionCookie = "session"

// backend is the reference web backend of the seed article: /login sends the
// browser to the IdP, /callback exchanges the code and keeps the id_token in
// a server-side session, /user/token hands the token out, /user/id answers
// who the bearer of a token is.
type backend struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	logger   *slog.Logger
	fresh    bool // renew the id_token on each /user/token

	mu       sync.Mutex
	sessions map[string]*backendSession
	issued   []string // every token handed out, for leak checks
}

type backendSession struct {
	state   string
	nonce   string
	token   string
	refresh string // the IdP's refresh token, with fresh tokens on
}

func newBackend(provider *oidc.Provider, oauth oauth2.Config, logger *slog.Logger) *backend {
	return &backend{
		oauth:    oauth,
		verifier: provider.Verifier(&oidc.Config{ClientID: oauth.ClientID}),
		logger:   logger,
		sessions: make(map[string]*backendSession),
	}
}

func (b *backend) secrets() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for id, s := range b.sessions {
		out = append(out, id)
		if s.token != "" {
			out = append(out, s.token)
		}
	}
	return append(out, b.issued...)
}

// forgetSessions ends every session, as a backend restart would.
func (b *backend) forgetSessions() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.sessions)
}

func (b *backend) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", b.login)
	mux.HandleFunc("GET /callback", b.callback)
	mux.HandleFunc("GET /user/token", b.userToken)
	mux.HandleFunc("GET /user/id", b.userID)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "clilogin reference backend: GET /login to sign in")
	})
	return mux
}

func randomString() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// session returns the caller's session, creating one (and its cookie) when
// create is true.
func (b *backend) session(w http.ResponseWriter, r *http.Request, create bool) *backendSession {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, err := r.Cookie(sessionCookie); err == nil {
		if s, ok := b.sessions[c.Value]; ok {
			return s
		}
	}
	if !create {
		return nil
	}
	id := randomString()
	s := &backendSession{}
	b.sessions[id] = s
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    id,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
	return s
}

func (b *backend) login(w http.ResponseWriter, r *http.Request) {
	s := b.session(w, r, true)
	b.mu.Lock()
	s.state, s.nonce = randomString(), randomString()
	state, nonce := s.state, s.nonce
	b.mu.Unlock()
	http.Redirect(w, r, b.oauth.AuthCodeURL(state, oidc.Nonce(nonce)), http.StatusFound)
}

func (b *backend) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		http.Error(w, "login failed: "+e+": "+q.Get("error_description"), http.StatusUnauthorized)
		return
	}
	s := b.session(w, r, false)
	if s == nil {
		http.Error(w, "no login in progress (missing session cookie)", http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	state, nonce := s.state, s.nonce
	s.state = "" // a state is good once
	b.mu.Unlock()
	if state == "" || q.Get("state") != state {
		http.Error(w, "state mismatch", http.StatusBadRequest)
		return
	}
	tok, err := b.oauth.Exchange(r.Context(), q.Get("code"))
	if err != nil {
		b.logger.Warn("code exchange failed", "err", err)
		http.Error(w, "code exchange failed", http.StatusBadGateway)
		return
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		http.Error(w, "no id_token in the token response", http.StatusBadGateway)
		return
	}
	idt, err := b.verifier.Verify(r.Context(), raw)
	if err != nil || idt.Nonce != nonce {
		http.Error(w, "id_token rejected", http.StatusUnauthorized)
		return
	}
	b.mu.Lock()
	s.token, s.refresh = raw, tok.RefreshToken
	b.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, "ok")
}

func (b *backend) userToken(w http.ResponseWriter, r *http.Request) {
	s := b.session(w, r, false)
	var token, refresh string
	if s != nil {
		b.mu.Lock()
		token, refresh = s.token, s.refresh
		b.mu.Unlock()
	}
	if token == "" {
		http.Error(w, "not logged in", http.StatusUnauthorized)
		return
	}
	if b.fresh && refresh != "" {
		// An expired oauth2 token makes the source use the refresh token.
		tok, err := b.oauth.TokenSource(r.Context(), &oauth2.Token{RefreshToken: refresh, Expiry: time.Unix(1, 0)}).Token()
		if err != nil {
			b.logger.Warn("token refresh failed", "err", err)
			http.Error(w, "token refresh failed", http.StatusBadGateway)
			return
		}
		if raw, ok := tok.Extra("id_token").(string); ok {
			token = raw
			b.mu.Lock()
			s.token, s.refresh = raw, tok.RefreshToken
			b.mu.Unlock()
		}
	}
	b.mu.Lock()
	b.issued = append(b.issued, token)
	b.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, token)
}

func (b *backend) userID(w http.ResponseWriter, r *http.Request) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		http.Error(w, "missing bearer token", http.StatusUnauthorized)
		return
	}
	idt, err := b.verifier.Verify(r.Context(), raw)
	if err != nil {
		http.Error(w, "invalid token", http.StatusUnauthorized)
		return
	}
	var claims struct {
		Email string `json:"email"`
	}
	if err := idt.Claims(&claims); err != nil || claims.Email == "" {
		http.Error(w, "token has no email", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, claims.Email)
}
