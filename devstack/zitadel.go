package devstack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// newZitadel builds the example OpenID Provider of zitadel/oidc (its
// exampleop handler with its in-memory storage and its own login page) for
// the issuer c.issuer, which must have no path (http://localhost:PORT). Its
// users log in with their email as user name; its one client is the
// reference backend, a confidential web client (client_secret_basic).
//
// Unlike Dex it has no SSO session: every authorization request shows the
// login form. It has no approval page either. The example logs each request
// with the default slog logger (slog.Default), not c.logger: it offers no
// other way, short of replacing the process's default logger.
func newZitadel(c idpConfig) (http.Handler, error) {
	if c.approval {
		return nil, errors.New("devstack: the zitadel IdP has no approval page")
	}
	users := zitadelUsers{byID: make(map[string]*storage.User, len(c.users))}
	for i, u := range c.users {
		login := u.Email
		if login == "" {
			login = u.Username
		}
		id := fmt.Sprintf("user-%d", i+1)
		users.byID[id] = &storage.User{
			ID:                id,
			Username:          login,
			Password:          u.Password,
			FirstName:         u.Username,
			Email:             u.Email,
			EmailVerified:     true,
			PreferredLanguage: language.English,
		}
	}
	// The client map is this stack's own: storage.RegisterClients would
	// change a map shared by every stack of the process.
	clients := map[string]*storage.Client{
		c.clientID: storage.WebClient(c.clientID, c.clientSecret, c.redirectURI),
	}
	store := zitadelStorage{
		Storage:  storage.NewStorageWithClients(users, clients),
		tokenTTL: c.tokenTTL,
	}
	// A nil logger: with one, SetupServer would call slog.SetDefault.
	return exampleop.SetupServer(c.issuer, store, nil, false), nil
}

// zitadelUsers is the example storage's user store for the stack's users.
type zitadelUsers struct{ byID map[string]*storage.User }

func (u zitadelUsers) GetUserByID(id string) *storage.User { return u.byID[id] }

func (u zitadelUsers) GetUserByUsername(name string) *storage.User {
	for _, user := range u.byID {
		if user.Username == name {
			return user
		}
	}
	return nil
}

// ExampleClientID names the example's JWT-profile service user, unused here.
func (zitadelUsers) ExampleClientID() string { return storage.ServiceUserID }

// zitadelStorage is the example storage with one change to its clients:
// see zitadelClient.
type zitadelStorage struct {
	*storage.Storage
	tokenTTL time.Duration
}

func (s zitadelStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	client, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return zitadelClient{Client: client, tokenTTL: s.tokenTTL}, nil
}

// zitadelClient puts the claims of the scopes email and profile in the
// id_token, as Dex does: by default the OP leaves them out of an id_token
// issued with an access token (OIDC Core 5.4), and the example's web client
// keeps that default. Its id_tokens live tokenTTL instead of an hour.
type zitadelClient struct {
	op.Client
	tokenTTL time.Duration
}

func (zitadelClient) IDTokenUserinfoClaimsAssertion() bool { return true }

func (c zitadelClient) IDTokenLifetime() time.Duration { return c.tokenTTL }
