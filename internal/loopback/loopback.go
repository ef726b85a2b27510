// Package loopback decides, in one place for the whole program, whether a
// host is this machine: a loopback IP address, or "localhost" or a name
// under ".localhost" that resolves to loopback addresses only. Go's resolver
// does not treat "*.localhost" specially (browsers do): such a name may
// resolve anywhere, and then it is not loopback.
package loopback

import (
	"context"
	"net"
	"strings"
	"time"
)

// Resolver is the part of *net.Resolver the rule uses.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// lookupTimeout bounds the resolution of a localhost name (normally an
// /etc/hosts line or systemd-resolved's answer, well under a millisecond).
const lookupTimeout = 2 * time.Second

// Host reports whether host (a host name or an IP address, with or without
// brackets, without a port) is loopback, resolving localhost names with
// the system's resolver.
func Host(host string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	return HostVia(ctx, net.DefaultResolver, host)
}

// HostVia is Host with a given resolver.
func HostVia(ctx context.Context, r Resolver, host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	name := strings.ToLower(host)
	if name != "localhost" && !strings.HasSuffix(name, ".localhost") {
		return false // other names are not trusted to stay on this machine
	}
	addrs, err := r.LookupIPAddr(ctx, name)
	if err != nil || len(addrs) == 0 {
		return false
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return false
		}
	}
	return true
}
