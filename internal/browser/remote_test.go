package browser

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/failure"
)

// A DevTools WebSocket URL whose host's /json/version names no browser (a
// Selenium Grid's se:cdp) made chromedp panic: the login is now an error,
// with the URL dialled as given.
func TestRemoteEndpointWithoutDebuggerURLIsAnErrorNotAPanic(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/json/version" {
			w.Write([]byte(`{"Browser":"Grid"}`))
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	_, err := Login(context.Background(), Config{
		Remote:    "ws://" + host + "/session/abc/se/cdp",
		Backend:   backend.MustParse(srv.URL),
		LoginPath: "/login",
		Deadline:  time.Now().Add(20 * time.Second),
	})
	if err == nil {
		t.Fatal("the login succeeded")
	}
	if k := failure.KindOf(err); k != failure.Browser {
		t.Errorf("kind %v: %v", k, err)
	}
}

// A password in a --remote-browser DevTools URL (wss://user:pass@host/…)
// is not in the error when the dial fails: chromedp's message quotes the
// URL it could not dial.
func TestRemoteDialErrorShowsNoPassword(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler()) // answers no WebSocket handshake
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	_, err := Login(context.Background(), Config{
		Remote:    "ws://ci:pa55w0rd@" + host + "/devtools/browser/x",
		Backend:   backend.MustParse(srv.URL),
		LoginPath: "/login",
		Deadline:  time.Now().Add(20 * time.Second),
	})
	if err == nil {
		t.Fatal("the login succeeded")
	}
	if strings.Contains(err.Error(), "pa55w0rd") || !strings.Contains(err.Error(), "could not dial") {
		t.Errorf("error: %v", err)
	}
}
