package loopback

import (
	"context"
	"errors"
	"net"
	"testing"
)

type fakeResolver map[string][]string

func (f fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	ips, ok := f[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	var out []net.IPAddr
	for _, s := range ips {
		out = append(out, net.IPAddr{IP: net.ParseIP(s)})
	}
	return out, nil
}

func TestHostViaResolvesLocalhostNames(t *testing.T) {
	r := fakeResolver{
		"localhost":       {"127.0.0.1", "::1"},
		"app.localhost":   {"127.0.0.1"},
		"evil.localhost":  {"203.0.113.9"},
		"mixed.localhost": {"127.0.0.1", "192.0.2.1"},
		"intranet":        {"127.0.0.1"}, // not a localhost name: not trusted
		"empty.localhost": {},
	}
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.8.9.10": true, "::1": true, "[::1]": true, "0:0:0:0:0:0:0:1": true,
		"localhost": true, "LOCALHOST": true, "app.localhost": true, "App.LocalHost": true,
		"evil.localhost": false, "mixed.localhost": false, "nowhere.localhost": false, "empty.localhost": false,
		"intranet": false, "10.0.0.1": false, "203.0.113.9": false, "::ffff:10.0.0.1": false, "": false,
		"localhost.example.com": false, "notlocalhost": false,
	} {
		if got := HostVia(context.Background(), r, host); got != want {
			t.Errorf("HostVia(%q) = %v, want %v", host, got, want)
		}
	}
}

// With the system's resolver: "localhost" is loopback on every machine this
// runs on; a name under .localhost that resolves to nothing is not.
func TestHostWithTheSystemResolver(t *testing.T) {
	if !Host("localhost") {
		t.Error(`Host("localhost") = false`)
	}
	if Host("no-such-name-0451.localhost") {
		t.Error("an unresolvable .localhost name is loopback")
	}
}
