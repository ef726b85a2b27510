package browser

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"

	"github.com/clilogin/clilogin/internal/failure"
)

// preflight dials the backend while the browser starts, so that a backend
// that is down or a host that does not exist fails the login at once. It
// answers nil when it cannot tell: a proxy is in the way, or the dial is
// slow (the browser will find out).
func preflight(ctx context.Context, backend *url.URL) error {
	if p, err := http.ProxyFromEnvironment(&http.Request{URL: backend}); err != nil || p != nil {
		return nil
	}
	port := backend.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[backend.Scheme]
	}
	addr := net.JoinHostPort(backend.Hostname(), port)
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err == nil {
		conn.Close()
		return nil
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return failure.New(failure.Unreachable, "check that the backend is running and --backend is right",
			"cannot reach the backend at %s: connection refused", backend.Host)
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return failure.New(failure.Unreachable, "check the host name in --backend",
			"cannot reach the backend: no such host %s", backend.Hostname())
	}
	return nil
}
