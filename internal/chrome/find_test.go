package chrome

import (
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/failure"
)

// fakeFS is a file system of executables (and, with a trailing "!", files
// that are not executable) for the discovery tests.
type fakeFS map[string]bool

type fakeInfo struct{ exec bool }

func (f fakeInfo) Name() string       { return "" }
func (f fakeInfo) Size() int64        { return 0 }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return false }
func (f fakeInfo) Sys() any           { return nil }
func (f fakeInfo) Mode() fs.FileMode {
	if f.exec {
		return 0o755
	}
	return 0o644
}

func (m fakeFS) stat(p string) (fs.FileInfo, error) {
	if e, ok := m[p]; ok {
		return fakeInfo{exec: e}, nil
	}
	return nil, fs.ErrNotExist
}

func TestFindOnEachSystem(t *testing.T) {
	linuxEnv := map[string]string{"PATH": "/usr/local/bin:/usr/bin:/bin", "DISPLAY": ":0"}
	macEnv := map[string]string{"PATH": "/usr/bin:/bin:/opt/homebrew/bin", "HOME": "/Users/alice"}
	winEnv := map[string]string{
		"PATH":              `C:\Windows\system32;C:\Windows`,
		"ProgramFiles":      `C:\Program Files`,
		"ProgramFiles(x86)": `C:\Program Files (x86)`,
		"LocalAppData":      `C:\Users\alice\AppData\Local`,
	}
	with := func(env map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range env {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	for _, tt := range []struct {
		name     string
		goos     string
		env      map[string]string
		files    fakeFS
		browser  string
		headless bool
		want     string // "" means an error
		wantErr  string // in the message or hint
	}{
		// Linux
		{name: "linux: real binary before the wrapper", goos: "linux", env: linuxEnv,
			files: fakeFS{"/usr/bin/chromium": true, "/usr/lib/chromium/chromium": true}, want: "/usr/lib/chromium/chromium"},
		{name: "linux: headless shell for a headless login", goos: "linux", env: linuxEnv, headless: true,
			files: fakeFS{"/usr/bin/chromium": true, "/usr/bin/chromium-headless-shell": true}, want: "/usr/bin/chromium-headless-shell"},
		{name: "linux: google-chrome on PATH", goos: "linux", env: linuxEnv,
			files: fakeFS{"/usr/bin/google-chrome-stable": true}, want: "/usr/bin/google-chrome-stable"},
		{name: "linux: not executable is skipped", goos: "linux", env: linuxEnv,
			files: fakeFS{"/usr/bin/chromium": false, "/opt/google/chrome/chrome": true}, want: "/opt/google/chrome/chrome"},
		{name: "linux: Edge", goos: "linux", env: linuxEnv,
			files: fakeFS{"/usr/bin/microsoft-edge": true}, want: "/usr/bin/microsoft-edge"},
		{name: "linux: Brave", goos: "linux", env: linuxEnv,
			files: fakeFS{"/opt/brave.com/brave/brave": true}, want: "/opt/brave.com/brave/brave"},
		{name: "linux: --browser first", goos: "linux", env: with(linuxEnv, "CHROME_PATH", "/opt/x/chrome"), browser: "/opt/mine/chrome",
			files: fakeFS{"/usr/lib/chromium/chromium": true, "/opt/mine/chrome": true, "/opt/x/chrome": true}, want: "/opt/mine/chrome"},
		{name: "linux: --browser by name on PATH", goos: "linux", env: linuxEnv, browser: "chromium",
			files: fakeFS{"/usr/bin/chromium": true}, want: "/usr/bin/chromium"},
		{name: "linux: --browser missing", goos: "linux", env: linuxEnv, browser: "/nonexistent/chrome",
			files: fakeFS{"/usr/lib/chromium/chromium": true}, wantErr: `browser "/nonexistent/chrome" not found`},
		{name: "linux: CHROME_PATH before the search and the headless shell", goos: "linux", headless: true,
			env:   with(linuxEnv, "CHROME_PATH", "/opt/x/chrome"),
			files: fakeFS{"/usr/lib/chromium/chromium-headless-shell": true, "/opt/x/chrome": true}, want: "/opt/x/chrome"},
		{name: "linux: CHROME_PATH missing", goos: "linux", env: with(linuxEnv, "CHROME_PATH", "/opt/x/chrome"),
			files: fakeFS{"/usr/lib/chromium/chromium": true}, wantErr: `CHROME_PATH "/opt/x/chrome" not found`},
		{name: "linux: none", goos: "linux", env: linuxEnv, files: fakeFS{}, wantErr: "apt-get install chromium"},

		// WSL
		{name: "wsl with WSLg uses the Linux Chrome", goos: "linux", env: with(linuxEnv, "WSL_DISTRO_NAME", "Ubuntu", "WAYLAND_DISPLAY", "wayland-0"),
			files: fakeFS{"/usr/bin/chromium": true}, want: "/usr/bin/chromium"},
		{name: "wsl headless uses the Linux Chrome", goos: "linux", headless: true, env: map[string]string{"PATH": "/usr/bin", "WSL_DISTRO_NAME": "Ubuntu"},
			files: fakeFS{"/usr/bin/chromium": true}, want: "/usr/bin/chromium"},
		{name: "wsl without a display explains the choices", goos: "linux", env: map[string]string{"PATH": "/usr/bin", "WSL_DISTRO_NAME": "Ubuntu"},
			files: fakeFS{"/usr/bin/chromium": true}, wantErr: "--remote-browser http://localhost:9222"},
		{name: "wsl without Chrome explains the choices", goos: "linux", headless: true, env: map[string]string{"PATH": "/usr/bin", "WSL_INTEROP": "/run/WSL/1_interop"},
			files: fakeFS{}, wantErr: "--remote-debugging-port=9222"},

		// macOS
		{name: "darwin: Chrome in /Applications", goos: "darwin", env: macEnv,
			files: fakeFS{"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome": true, "/Applications/Chromium.app/Contents/MacOS/Chromium": true},
			want:  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"},
		{name: "darwin: Chrome in ~/Applications", goos: "darwin", env: macEnv,
			files: fakeFS{"/Users/alice/Applications/Google Chrome.app/Contents/MacOS/Google Chrome": true},
			want:  "/Users/alice/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"},
		{name: "darwin: Chromium", goos: "darwin", env: macEnv,
			files: fakeFS{"/Applications/Chromium.app/Contents/MacOS/Chromium": true}, want: "/Applications/Chromium.app/Contents/MacOS/Chromium"},
		{name: "darwin: Edge", goos: "darwin", env: macEnv,
			files: fakeFS{"/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge": true},
			want:  "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge"},
		{name: "darwin: Brave in ~/Applications", goos: "darwin", env: macEnv,
			files: fakeFS{"/Users/alice/Applications/Brave Browser.app/Contents/MacOS/Brave Browser": true},
			want:  "/Users/alice/Applications/Brave Browser.app/Contents/MacOS/Brave Browser"},
		{name: "darwin: chromium from Homebrew on PATH", goos: "darwin", env: macEnv,
			files: fakeFS{"/opt/homebrew/bin/chromium": true}, want: "/opt/homebrew/bin/chromium"},
		{name: "darwin: CHROME_PATH first", goos: "darwin", env: with(macEnv, "CHROME_PATH", "/Users/alice/chrome/Chromium"),
			files: fakeFS{"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome": true, "/Users/alice/chrome/Chromium": true},
			want:  "/Users/alice/chrome/Chromium"},
		{name: "darwin: none", goos: "darwin", env: macEnv, files: fakeFS{}, wantErr: "brew install --cask chromium"},

		// Windows
		{name: "windows: Chrome in Program Files", goos: "windows", env: winEnv,
			files: fakeFS{`C:\Program Files\Google\Chrome\Application\chrome.exe`: true, `C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`: true},
			want:  `C:\Program Files\Google\Chrome\Application\chrome.exe`},
		{name: "windows: Chrome in Program Files (x86)", goos: "windows", env: winEnv,
			files: fakeFS{`C:\Program Files (x86)\Google\Chrome\Application\chrome.exe`: true},
			want:  `C:\Program Files (x86)\Google\Chrome\Application\chrome.exe`},
		{name: "windows: Chrome per user in LocalAppData", goos: "windows", env: winEnv,
			files: fakeFS{`C:\Users\alice\AppData\Local\Google\Chrome\Application\chrome.exe`: true, `C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`: true},
			want:  `C:\Users\alice\AppData\Local\Google\Chrome\Application\chrome.exe`},
		{name: "windows: Chromium", goos: "windows", env: winEnv,
			files: fakeFS{`C:\Users\alice\AppData\Local\Chromium\Application\chrome.exe`: true},
			want:  `C:\Users\alice\AppData\Local\Chromium\Application\chrome.exe`},
		{name: "windows: Edge when there is no Chrome", goos: "windows", env: winEnv,
			files: fakeFS{`C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`: true},
			want:  `C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`},
		{name: "windows: Brave", goos: "windows", env: winEnv,
			files: fakeFS{`C:\Program Files\BraveSoftware\Brave-Browser\Application\brave.exe`: true},
			want:  `C:\Program Files\BraveSoftware\Brave-Browser\Application\brave.exe`},
		{name: "windows: default Program Files without the variables", goos: "windows", env: map[string]string{},
			files: fakeFS{`C:\Program Files\Google\Chrome\Application\chrome.exe`: true},
			want:  `C:\Program Files\Google\Chrome\Application\chrome.exe`},
		{name: "windows: --browser first", goos: "windows", env: winEnv, browser: `D:\portable\chrome.exe`,
			files: fakeFS{`C:\Program Files\Google\Chrome\Application\chrome.exe`: true, `D:\portable\chrome.exe`: true},
			want:  `D:\portable\chrome.exe`},
		{name: "windows: CHROME_PATH first", goos: "windows", env: with(winEnv, "CHROME_PATH", `D:\portable\chrome.exe`),
			files: fakeFS{`C:\Program Files\Google\Chrome\Application\chrome.exe`: true, `D:\portable\chrome.exe`: true},
			want:  `D:\portable\chrome.exe`},
		{name: "windows: none", goos: "windows", env: winEnv, files: fakeFS{}, wantErr: "msedge.exe"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sys := System{GOOS: tt.goos, Getenv: func(k string) string { return tt.env[k] }, Stat: tt.files.stat}
			got, err := FindOn(sys, tt.browser, tt.headless)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Errorf("FindOn = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("FindOn = %q, want an error with %q", got, tt.wantErr)
			}
			if failure.KindOf(err) != failure.Browser {
				t.Errorf("kind %v, want browser (exit 6)", failure.KindOf(err))
			}
			if all := err.Error() + " / " + failure.HintOf(err); !strings.Contains(all, tt.wantErr) {
				t.Errorf("error %q does not mention %q", all, tt.wantErr)
			}
		})
	}
}

func TestIsWSLReadsTheKernelRelease(t *testing.T) {
	sys := System{GOOS: "linux", Getenv: func(string) string { return "" },
		ReadFile: func(string) ([]byte, error) { return []byte("5.15.167.4-microsoft-standard-WSL2\n"), nil }}
	if !isWSL(sys) {
		t.Error("a WSL2 kernel is not seen as WSL")
	}
	sys.ReadFile = func(string) ([]byte, error) { return []byte("6.1.0-40-amd64\n"), nil }
	if isWSL(sys) {
		t.Error("a Debian kernel is seen as WSL")
	}
}
