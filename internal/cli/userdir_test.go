package cli

import (
	"os"
	"runtime"
	"testing"
)

func TestUserDirOnEachSystem(t *testing.T) {
	for _, tt := range []struct {
		goos, kind string
		env        map[string]string
		want       string // "" means an error
	}{
		{"linux", "config", map[string]string{"HOME": "/home/a"}, "/home/a/.config"},
		{"linux", "cache", map[string]string{"HOME": "/home/a"}, "/home/a/.cache"},
		{"linux", "config", map[string]string{"HOME": "/home/a", "XDG_CONFIG_HOME": "/xdg/c"}, "/xdg/c"},
		{"linux", "cache", map[string]string{"HOME": "/home/a", "XDG_CACHE_HOME": "/xdg/k"}, "/xdg/k"},
		{"linux", "cache", map[string]string{"HOME": "/home/a", "XDG_CACHE_HOME": "relative"}, "/home/a/.cache"},
		{"linux", "cache", map[string]string{"XDG_CACHE_HOME": "/xdg/k"}, "/xdg/k"},
		{"linux", "cache", map[string]string{}, ""},
		{"freebsd", "config", map[string]string{"HOME": "/home/a"}, "/home/a/.config"},
		{"darwin", "config", map[string]string{"HOME": "/Users/a", "XDG_CONFIG_HOME": "/xdg"}, "/Users/a/Library/Application Support"},
		{"darwin", "cache", map[string]string{"HOME": "/Users/a"}, "/Users/a/Library/Caches"},
		{"darwin", "cache", map[string]string{}, ""},
		{"windows", "config", map[string]string{"AppData": `C:\Users\a\AppData\Roaming`, "LocalAppData": `C:\Users\a\AppData\Local`}, `C:\Users\a\AppData\Roaming`},
		{"windows", "cache", map[string]string{"AppData": `C:\Users\a\AppData\Roaming`, "LocalAppData": `C:\Users\a\AppData\Local`}, `C:\Users\a\AppData\Local`},
		{"windows", "cache", map[string]string{"AppData": `C:\Users\a\AppData\Roaming`}, ""},
	} {
		got, err := userDirOn(tt.goos, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }, tt.kind)
		if (tt.want == "") != (err != nil) || got != tt.want {
			t.Errorf("%s %s %v: %q, %v; want %q", tt.goos, tt.kind, tt.env, got, err, tt.want)
		}
	}
}

// TestUserDirAgreesWithTheStandardLibrary checks the host's answer against
// os.UserConfigDir and os.UserCacheDir.
func TestUserDirAgreesWithTheStandardLibrary(t *testing.T) {
	if runtime.GOOS == "linux" && (os.Getenv("XDG_CONFIG_HOME") != "" || os.Getenv("XDG_CACHE_HOME") != "") {
		t.Skip("a relative XDG variable is an error for the standard library, ignored here")
	}
	for kind, std := range map[string]func() (string, error){"config": os.UserConfigDir, "cache": os.UserCacheDir} {
		want, werr := std()
		got, err := userDir(os.LookupEnv, kind)
		if (werr != nil) != (err != nil) || got != want {
			t.Errorf("%s: %q, %v; os says %q, %v", kind, got, err, want, werr)
		}
	}
}
