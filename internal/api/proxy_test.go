package api

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/backend"
	"github.com/clilogin/clilogin/internal/cookies"
)

const proxyChildEnv = "CLILOGIN_API_TEST_PROXY_CHILD"

// The HTTP client honours HTTPS_PROXY: the token request for an https://
// backend goes through the proxy (CONNECT), with the system roots taken from
// SSL_CERT_FILE. Go reads both once per process, so the client runs in a
// child process of this test binary with its own environment.
func TestTokenGoesThroughHTTPSProxy(t *testing.T) {
	if os.Getenv(proxyChildEnv) != "" {
		t.Skip("the child's half runs in TestHTTPSProxyChild")
	}
	const tok = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.sig"
	backend := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err != nil || c.Value != "s3ss10n" {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, tok)
	}))
	defer backend.Close()

	var mu sync.Mutex
	var connects []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		mu.Lock()
		connects = append(connects, r.Host)
		mu.Unlock()
		up, err := net.Dial("tcp", backend.Listener.Addr().String()) // the proxy knows where example.com is
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer up.Close()
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 200 Connection established\r\n\r\n")
		rw.Flush()
		go io.Copy(up, rw)
		io.Copy(conn, up)
	}))
	defer proxy.Close()

	certFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: backend.Certificate().Raw})
	if err := os.WriteFile(certFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(backend.Listener.Addr().String())
	// example.com is in httptest's certificate; it resolves nowhere here, so
	// only the proxy can reach it.
	backendURL := "https://example.com:" + port
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHTTPSProxyChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), proxyChildEnv+"="+backendURL, "HTTPS_PROXY="+proxy.URL, "https_proxy="+proxy.URL,
		"NO_PROXY=", "no_proxy=", "SSL_CERT_FILE="+certFile)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the client through the proxy failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "token="+tok) {
		t.Errorf("the child did not get the token:\n%s", out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(connects) == 0 || connects[0] != "example.com:"+port {
		t.Errorf("the proxy saw CONNECT %q, want example.com:%s", connects, port)
	}
}

// TestHTTPSProxyChild is the child half of TestTokenGoesThroughHTTPSProxy.
func TestHTTPSProxyChild(t *testing.T) {
	raw := os.Getenv(proxyChildEnv)
	if raw == "" {
		t.Skip("run by TestTokenGoesThroughHTTPSProxy")
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	c := New(&backend.Backend{URL: u}, 20*time.Second)
	tok, err := c.Token(context.Background(), "/user/token",
		[]cookies.Cookie{{Name: "session", Value: "s3ss10n", Domain: "example.com", HostOnly: true, Path: "/"}})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("token=" + tok)
}
