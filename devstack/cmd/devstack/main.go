// Command devstack runs clilogin's demo stack: a Dex identity provider on
// localhost and a reference backend on 127.0.0.1, until Ctrl-C.
//
// With -json it prints one JSON object describing the stack on stdout (for
// scripts); otherwise it prints a short human description on stderr and the
// backend URL alone on stdout.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/clilogin/clilogin/devstack"
)

func main() {
	os.Exit(run())
}

func run() int {
	approval := flag.Bool("approval", false, "show the IdP's approval (consent) page")
	asJSON := flag.Bool("json", false, "print the stack as one JSON object on stdout")
	verbose := flag.Bool("v", false, "log the IdP's and backend's requests on stderr")
	idp := flag.String("idp", "dex", "the identity provider: dex or zitadel")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg := devstack.Config{Approval: *approval, IdP: *idp}
	if *verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	s, err := devstack.Start(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "devstack: error: %v\n", err)
		return 1
	}
	defer s.Close()

	u := s.Users[0]
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(map[string]string{
			"backend": s.BackendURL, "issuer": s.IssuerURL,
			"username": u.Email, "password": u.Password, "email": u.Email,
		})
	} else {
		fmt.Fprintf(os.Stderr, "devstack: IdP (%s) %s\n", *idp, s.IssuerURL)
		fmt.Fprintf(os.Stderr, "devstack: backend     %s\n", s.BackendURL)
		fmt.Fprintf(os.Stderr, "devstack: demo user   %s  password %s\n", u.Email, u.Password)
		fmt.Fprintln(os.Stderr, "devstack: press Ctrl-C to stop")
		fmt.Println(s.BackendURL)
	}
	<-ctx.Done()
	return 0
}
