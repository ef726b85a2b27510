package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// goBackend is a Go net/http backend written the way go-oidc's and
// x/oauth2's documentation show (go-oidc's example/idtoken/app.go): a state
// cookie, AuthCodeURL, Exchange, the id_token verified; sessions in memory.
// Its API answers JSON objects with json.NewEncoder, as Go code usually
// does: the token path sets no Content-Type (net/http sniffs it as
// text/plain) and answers {"access_token": …}; the userinfo path answers
// the token's claims as application/json.
func goBackend(ctx context.Context, issuer, clientID, clientSecret, redirectURL string) (http.Handler, error) {
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return nil, err
	}
	config := oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Endpoint:     provider.Endpoint(),
		RedirectURL:  redirectURL,
		Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: clientID})
	var mu sync.Mutex
	sessions := map[string]string{} // session id -> raw id_token

	randString := func() string {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err == nil {
			mu.Lock()
			_, ok := sessions[c.Value]
			mu.Unlock()
			if ok {
				w.Write([]byte("Signed in. <a href=\"/api/token\">token</a>"))
				return
			}
		}
		w.Write([]byte("<a href=\"/login\">Sign in</a>"))
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		state := randString()
		http.SetCookie(w, &http.Cookie{Name: "state", Value: state, MaxAge: int(time.Hour.Seconds()), HttpOnly: true, Path: "/"})
		http.Redirect(w, r, config.AuthCodeURL(state), http.StatusFound)
	})
	mux.HandleFunc("/oauth2/callback", func(w http.ResponseWriter, r *http.Request) {
		state, err := r.Cookie("state")
		if err != nil || r.URL.Query().Get("state") != state.Value {
			http.Error(w, "state did not match", http.StatusBadRequest)
			return
		}
		oauth2Token, err := config.Exchange(r.Context(), r.URL.Query().Get("code"))
		if err != nil {
			http.Error(w, "Failed to exchange token: "+err.Error(), http.StatusInternalServerError)
			return
		}
		rawIDToken, ok := oauth2Token.Extra("id_token").(string)
		if !ok {
			http.Error(w, "No id_token field in oauth2 token.", http.StatusInternalServerError)
			return
		}
		if _, err := verifier.Verify(r.Context(), rawIDToken); err != nil {
			http.Error(w, "Failed to verify ID Token: "+err.Error(), http.StatusInternalServerError)
			return
		}
		id := randString()
		mu.Lock()
		sessions[id] = rawIDToken
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "session", Value: id, HttpOnly: true, Path: "/"})
		http.Redirect(w, r, "/", http.StatusFound)
	})
	mux.HandleFunc("/api/token", func(w http.ResponseWriter, r *http.Request) {
		var tok string
		if c, err := r.Cookie("session"); err == nil {
			mu.Lock()
			tok = sessions[c.Value]
			mu.Unlock()
		}
		if tok == "" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer"})
	})
	mux.HandleFunc("/api/userinfo", func(w http.ResponseWriter, r *http.Request) {
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		idToken, err := verifier.Verify(r.Context(), raw)
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var claims map[string]any
		if err := idToken.Claims(&claims); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(claims)
	})
	return mux, nil
}
