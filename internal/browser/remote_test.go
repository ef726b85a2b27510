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
