package backend

import "testing"

// A backend given with its scheme's default port (https://h:443) is the
// same origin as the URLs a browser shows for it (https://h/...), and one
// given with an international host name is the same as its punycode form.
func TestContainsWhateverTheOriginsSpelling(t *testing.T) {
	for _, tt := range []struct{ backend, raw string }{
		{"https://api.example.com:443", "https://api.example.com/cb"},
		{"http://127.0.0.1:80/app", "http://127.0.0.1/app/x"},
		{"https://api.example.com", "https://api.example.com:443/cb"},
		{"https://bücher.example", "https://xn--bcher-kva.example/cb"},
	} {
		if !MustParse(tt.backend).Contains(tt.raw) {
			t.Errorf("%s does not contain %s", tt.backend, tt.raw)
		}
	}
	if MustParse("https://api.example.com").Contains("https://api.example.com:8443/cb") {
		t.Error("another port is the backend's")
	}
	if MustParse("https://api.example.com").Contains("http://api.example.com/cb") {
		t.Error("another scheme is the backend's")
	}
}

// An IPv4-mapped IPv6 address is another origin to a browser than the IPv4
// address.
func TestContainsKeepsIPAddressesAsWritten(t *testing.T) {
	if MustParse("http://127.0.0.1:8080").Contains("http://[::ffff:127.0.0.1]:8080/cb") {
		t.Error("[::ffff:127.0.0.1] is the backend 127.0.0.1's")
	}
	if !MustParse("http://[::1]:8080").Contains("http://[::1]:8080/cb") {
		t.Error("[::1] is not itself")
	}
}
