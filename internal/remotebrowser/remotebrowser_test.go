package remotebrowser

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/clilogin/clilogin/internal/failure"
)

// The URL an endpoint names for dialling is held to the typed one's rule.
func TestHeldToTheTypedRule(t *testing.T) {
	tests := []struct {
		typed, named string
		insecure     bool
		want, err    string
	}{
		{"http://127.0.0.1:9222", "ws://127.0.0.1:9222/devtools/browser/x", false, "ws://127.0.0.1:9222/devtools/browser/x", ""},
		{"http://127.0.0.1:9222", "ws://192.0.2.7:9222/devtools/browser/x", false, "", "not on loopback"},
		{"http://127.0.0.1:9222", "ws://192.0.2.7:9222/devtools/browser/x", true, "ws://192.0.2.7:9222/devtools/browser/x", ""},
		{"https://chrome.example:9443", "ws://chrome.example:9443/devtools/browser/x", false, "wss://chrome.example:9443/devtools/browser/x", ""},
		{"https://chrome.example:9443", "ws://chrome.example:9222/devtools/browser/x", false, "wss://chrome.example:9443/devtools/browser/x", ""},
		{"https://chrome.example:9443", "ws://127.0.0.1:9222/devtools/browser/x", false, "wss://chrome.example:9443/devtools/browser/x", ""},
		{"https://grid.example/wd/hub", "ws://10.0.0.5:4444/session/s/se/cdp", false, "wss://grid.example/session/s/se/cdp", ""},
		{"https://127.0.0.1:9443", "ws://192.0.2.7:9222/devtools/browser/x", false, "wss://127.0.0.1:9443/devtools/browser/x", ""},
		{"https://chrome.example:9443", "wss://other.example/devtools/browser/x", false, "wss://other.example/devtools/browser/x", ""},
		{"http://127.0.0.1:3000?token=T", "ws://127.0.0.1:3000", false, "ws://127.0.0.1:3000?token=T", ""},
		{"http://127.0.0.1:3000?token=T", "ws://127.0.0.2:3000", false, "ws://127.0.0.2:3000", ""},
		{"http://127.0.0.1:9222", "http://127.0.0.1:9222/x", false, "", "no usable"},
	}
	for _, tt := range tests {
		typed, err := Check(tt.typed, false)
		if err != nil {
			t.Fatal(err)
		}
		got, err := held(typed, tt.named, tt.insecure)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("held(%s, %s) = %q, %v; want an error with %q", tt.typed, tt.named, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("held(%s, %s) = %q, %v; want %q", tt.typed, tt.named, got, err, tt.want)
		}
	}
}

// The kind is asked of the endpoint; one that is neither says what each
// question found.
func TestOpenAsksTheEndpoint(t *testing.T) {
	var mu sync.Mutex
	var deleted []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /devtools/json/version", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"webSocketDebuggerUrl":"ws://` + r.Host + `/devtools/browser/abc"}`))
	})
	mux.HandleFunc("GET /wd/hub/status", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"value":{"ready":true,"message":"ok","nodes":[{"availability":"UP","slots":[{"session":{"sessionId":"busy"}}]}]}}`))
	})
	mux.HandleFunc("POST /wd/hub/session", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			http.Error(w, "bad content type", 400)
			return
		}
		w.Write([]byte(`{"value":{"sessionId":"s1","capabilities":{"se:cdp":"ws://` + r.Host + `/session/s1/se/cdp"}}}`))
	})
	mux.HandleFunc("DELETE /wd/hub/session/{id}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		deleted = append(deleted, r.PathValue("id"))
		mu.Unlock()
		w.Write([]byte(`{"value":null}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	var logs []string
	o := Options{Logf: func(f string, a ...any) { logs = append(logs, f) }}

	e, err := Open(context.Background(), srv.URL+"/devtools", o)
	if err != nil || e.Kind != KindDevTools || e.WebSocket != "ws://"+host+"/devtools/browser/abc" {
		t.Errorf("DevTools endpoint: %+v, %v", e, err)
	}
	e, err = Open(context.Background(), "ws://"+host+"/as/given?token=x", o)
	if err != nil || e.Kind != KindWebSocket || e.WebSocket != "ws://"+host+"/as/given?token=x" {
		t.Errorf("WebSocket: %+v, %v", e, err)
	}
	e, err = Open(context.Background(), srv.URL+"/wd/hub", o)
	if err != nil || e.Kind != KindWebDriver || e.WebSocket != "ws://"+host+"/session/s1/se/cdp" || e.Session != "s1" {
		t.Fatalf("WebDriver: %+v, %v", e, err)
	}
	if !strings.Contains(strings.Join(logs, "\n"), "queued") {
		t.Errorf("-v does not say the request is queued:\n%s", strings.Join(logs, "\n"))
	}
	e.Close()
	e.Close()
	if strings.Join(deleted, ",") != "s1" {
		t.Errorf("deleted %q", deleted)
	}

	srv2 := httptest.NewServer(http.NotFoundHandler())
	gone := srv2.URL
	srv2.Close()
	if _, err = Open(context.Background(), gone, o); err == nil || !strings.Contains(err.Error(), "cannot reach the remote browser at "+gone) {
		t.Errorf("unreachable: %v", err)
	}

	_, err = Open(context.Background(), srv.URL+"/nothing", o)
	if err == nil || failure.KindOf(err) != failure.Browser ||
		!strings.Contains(err.Error(), "/json/version: 404 Not Found") || !strings.Contains(err.Error(), "/status: 404 Not Found") {
		t.Errorf("neither: %v", err)
	}
}

// A library's message quoting the dialled URL shows no token.
func TestRedactMasksTheToken(t *testing.T) {
	e := &Endpoint{WebSocket: "ws://127.0.0.1:3000?token=bl-s3cr3t"}
	msg := `could not dial "ws://127.0.0.1:3000?token=bl-s3cr3t": sending the handshake request: Get "http://127.0.0.1:3000?token=bl-s3cr3t": context deadline exceeded`
	got := e.Redact(msg)
	if strings.Contains(got, "s3cr3t") || !strings.Contains(got, "ws://127.0.0.1:3000?token=REDACTED") {
		t.Errorf("Redact = %s", got)
	}
}

// A password in the dialled URL's user info is masked too, with or
// without a query (chromedp quotes the URL it could not dial).
func TestRedactMasksTheUserInfo(t *testing.T) {
	for _, ws := range []string{"wss://ci:pa55w0rd@grid.example.com/devtools/browser/x", "wss://ci:pa55w0rd@grid.example.com/devtools/browser/x?token=t0k3n"} {
		e := &Endpoint{WebSocket: ws}
		got := e.Redact(`could not dial "` + ws + `": sending the handshake request: Get "` + strings.Replace(ws, "wss://", "https://", 1) + `": EOF`)
		if strings.Contains(got, "pa55w0rd") || strings.Contains(got, "t0k3n") || !strings.Contains(got, "grid.example.com/devtools/browser/x") {
			t.Errorf("Redact = %s", got)
		}
	}
}

// A query that masks to nothing ("?&") does not make Redact panic (a
// failed dial's error turned into "internal error", exit 1).
func TestRedactOddQuery(t *testing.T) {
	for _, ws := range []string{"ws://127.0.0.1:3000/x?&", "ws://127.0.0.1:3000/x?;"} {
		e := &Endpoint{WebSocket: ws}
		msg := `could not dial "` + ws + `": connection refused`
		if got := e.Redact(msg); !strings.Contains(got, "127.0.0.1:3000/x") {
			t.Errorf("Redact(%q) = %s", msg, got)
		}
	}
}

// An endpoint's redirect whose Location is no URL (a proxy in front of it
// quoting the typed ?token=) is not quoted back: net/http's message for it
// quotes the Location.
func TestBadLocationIsNotQuoted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://proxy.example/%zz?"+r.URL.RawQuery)
		w.WriteHeader(http.StatusFound)
	}))
	defer srv.Close()
	_, err := Open(context.Background(), srv.URL+"/?token=bl-s3cr3t", Options{})
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("Open: %v", err)
	}
}
