package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/clilogin/clilogin/devstack"
)

// The cold login through Glewlwyd's single-page sign-in (Debian's package:
// sign-in and "continue", rendered in place; the scope consent is granted
// once, by an unmeasured first walk), beside its floor: the same steps
// walked by a plain CDP script that waits for nothing.

// glewlwyd starts Glewlwyd and a reference backend that uses it, once per
// bench, and walks one unmeasured login on br; closeGlewlwyd stops them.
//
// The first logins after Glewlwyd starts are slower for whoever makes them
// (measured: the floor's own first walks 0.84 s and 0.60 s, then
// 0.52-0.56 s), and the first one meets the scope consent, which Glewlwyd
// then keeps for the user. The login's runs come before its floor's: without
// this walk they alone paid both, and the ratio measured the order.
func (b *bench) glewlwyd(ctx context.Context, br browser) (*devstack.Stack, error) {
	if b.glew != nil {
		return b.glew, nil
	}
	if _, err := os.Stat(devstack.GlewlwydBin); err != nil {
		return nil, skipError{"no glewlwyd (scripts/deps.sh test installs it)"}
	}
	dir := filepath.Join(b.root, "glewlwyd")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	g, err := devstack.StartGlewlwyd(dir)
	if err != nil {
		return nil, err
	}
	s, err := devstack.Start(ctx, devstack.Config{External: g.Register})
	if err != nil {
		g.Close()
		return nil, fmt.Errorf("start a backend for glewlwyd: %w", err)
	}
	fmt.Fprintf(b.log, "bench:   glewlwyd %s, backend %s\n", g.Base, s.BackendURL)
	b.glewIdP, b.glew = g, s
	if _, err := b.cdpWalk(ctx, br, s.BackendURL+"/login", glewlwydWalk()); err != nil {
		return nil, fmt.Errorf("a first, unmeasured walk through glewlwyd: %w", err)
	}
	return s, nil
}

func (b *bench) closeGlewlwyd() {
	if b.glew != nil {
		b.glew.Close()
		b.glewIdP.Close()
		b.glew, b.glewIdP = nil, nil
	}
}

// glewlwydLogins: cold logins (a fresh profile and HOME each run).
func (b *bench) glewlwydLogins(ctx context.Context, br browser) ([]sample, error) {
	s, err := b.glewlwyd(ctx, br)
	if err != nil {
		return nil, err
	}
	return b.repeat(ctx, b.opts.n, paired(func(ctx context.Context, pss bool) (sample, error) {
		d, err := b.dir("glewlwyd")
		if err != nil {
			return sample{}, err
		}
		defer os.RemoveAll(d)
		profile := filepath.Join(d, "profile")
		args := []string{"login", "--backend", s.BackendURL, "--browser", br.path, "--profile", profile, "--timeout", cliTimeout}
		return b.login(ctx, invocation{dir: d, profile: profile, pss: pss, password: true, args: append(args, append(autofill(), "--headless")...)})
	}))
}

// glewlwydWalks: the floor of glewlwydLogins. The app is React's: a field
// is set with the native setter and an input event, as a person's typing
// would reach it.
func (b *bench) glewlwydWalks(ctx context.Context, br browser) ([]sample, error) {
	s, err := b.glewlwyd(ctx, br)
	if err != nil {
		return nil, err
	}
	return b.repeat(ctx, b.opts.n, func(ctx context.Context) (sample, error) {
		return b.cdpWalk(ctx, br, s.BackendURL+"/login", glewlwydWalk())
	})
}

// glewlwydWalk is the floor's step (see cdpWalk): Glewlwyd's sign-in, the
// scope consent if shown, and "continue", each done once as soon as shown.
func glewlwydWalk() string {
	creds, _ := json.Marshal([]string{devstack.DemoUser.Email, devstack.DemoUser.Password})
	return `((c) => {
  const w = window.walked || (window.walked = {});
  const q = (s) => document.querySelector(s);
  const set = (el, v) => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set.call(el, v);
    el.dispatchEvent(new Event("input", { bubbles: true }));
  };
  const button = (re) => Array.from(document.querySelectorAll("button")).find((b) => re.test(b.textContent.trim()));
  if (location.pathname === "/callback") return document.body && document.body.innerText.trim() === "ok" ? "done" : "";
  if (!w.form && q("#password") && q("#loginbut")) {
    w.form = true;
    if (q("#username")) set(q("#username"), c[0]);
    set(q("#password"), c[1]);
    q("#loginbut").click();
    return "form";
  }
  const grant = button(/^Grant access$/);
  if (!w.grant && grant) {
    w.grant = true;
    document.querySelectorAll("input[id^=grant-]:not(:checked):not(:disabled)").forEach((el) => el.click());
    grant.click();
    return "grant";
  }
  const next = button(/^Continue$/);
  if (!w.next && next) { w.next = true; next.click(); return "continue"; }
  return "";
})(` + string(creds) + `)`
}
