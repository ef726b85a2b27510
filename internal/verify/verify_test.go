package verify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestDiscoveryIsBounded: an issuer whose discovery document never ends is
// read up to a bound, not into memory until the timeout.
func TestDiscoveryIsBounded(t *testing.T) {
	const served = 256 << 20 // what a hostile issuer sends at most here
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		chunk := []byte(`{"issuer":"` + strings.Repeat("a", 64<<10))
		for sent.Load() < served {
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
			chunk = []byte(strings.Repeat("a", 64<<10))
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := Token(ctx, srv.URL, "a.b.c")
	if err == nil {
		t.Fatal("an endless discovery document was accepted")
	}
	srv.CloseClientConnections()
	if n := sent.Load(); n > 32<<20 {
		t.Errorf("%d bytes of the discovery document were read; want at most about 1 MiB", n)
	}
	if !strings.Contains(err.Error(), "larger than") {
		t.Errorf("error %q does not say the answer was too large", err)
	}
}
