package e2e

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// A remote browser behind a TLS terminator (a Go reverse proxy with a test
// CA, which clilogin trusts through SSL_CERT_FILE), reached through a relay
// that records every byte that crosses it: the login works at the https://
// and at the wss:// URL, and neither the password nor the backend's cookie
// nor any page of the login crosses in clear text. (clilogin used to ask
// http://HOST:PORT/json/version and dial the ws:// it named.)
func TestRemoteBrowserOverTLSCrossesNothingInClear(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	dir := t.TempDir()
	exited, _ := startChrome(t, dir, "--remote-debugging-port=0")
	devtools, _ := url.Parse("http://127.0.0.1:" + devToolsPort(t, dir, exited))

	terminator := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(devtools))
	defer terminator.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: terminator.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	relay := newRecordingRelay(t, strings.TrimPrefix(terminator.URL, "https://"))

	// The browser's own WebSocket URL, through the terminator and the relay.
	resp, err := terminator.Client().Get(terminator.URL + "/json/version")
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ WebSocketDebuggerURL string }
	json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	wsURL, _ := url.Parse(v.WebSocketDebuggerURL)
	if wsURL == nil || wsURL.Path == "" {
		t.Fatalf("no webSocketDebuggerUrl: %q", v.WebSocketDebuggerURL)
	}

	for _, endpoint := range []string{"https://" + relay.addr, "wss://" + relay.addr + wsURL.Path} {
		home := t.TempDir()
		r := clilogin(t, run{home: home, args: []string{"login", "-b", stack.BackendURL, "--remote-browser", endpoint,
			"--username", "alice@example.com", "--timeout", "30s", "-v"},
			env: []string{"CLILOGIN_PASSWORD=" + password, "SSL_CERT_FILE=" + ca}})
		wantCode(t, r, 0)
		wantContains(t, "stdout", r.stdout, "as alice@example.com")
		if strings.HasPrefix(endpoint, "https:") {
			wantContains(t, "stderr", r.stderr, "browser at wss://"+relay.addr+"/devtools/browser/")
		}
	}
	crossed := relay.bytes()
	if len(crossed) == 0 {
		t.Fatal("nothing crossed the relay")
	}
	for _, clear := range []string{password, "alice@example.com", "/callback", "Cookie", "/json/version", "Sec-WebSocket"} {
		if bytes.Contains(crossed, []byte(clear)) {
			t.Errorf("%q crossed the relay in clear text", clear)
		}
	}
	for i, first := range relay.firstBytes() {
		if first != 0x16 { // a TLS handshake record
			t.Errorf("connection %d through the relay began with %#x, not a TLS handshake", i, first)
		}
	}
}

// recordingRelay forwards TCP connections to a server and records what the
// client sends and the server answers.
type recordingRelay struct {
	addr  string
	mu    sync.Mutex
	all   bytes.Buffer
	first []byte
}

func newRecordingRelay(t *testing.T, to string) *recordingRelay {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &recordingRelay{addr: l.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", to)
			if err != nil {
				c.Close()
				continue
			}
			first := true
			wg.Add(2)
			go func() { defer wg.Done(); r.copy(s, c, &first); s.Close() }()
			go func() { defer wg.Done(); r.copy(c, s, nil); c.Close() }()
		}
	}()
	return r
}

func (r *recordingRelay) copy(dst io.Writer, src io.Reader, first *bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			r.mu.Lock()
			if first != nil && *first {
				r.first = append(r.first, buf[0])
				*first = false
			}
			r.all.Write(buf[:n])
			r.mu.Unlock()
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (r *recordingRelay) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.all.Bytes())
}

func (r *recordingRelay) firstBytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.first)
}
