package chrome

import (
	"io/fs"
	"os"
	"runtime"
	"strings"

	"github.com/clilogin/clilogin/internal/failure"
)

// System is what browser discovery reads from the machine. Tests pass a
// fake one, so that Linux CI checks the macOS and Windows lists.
type System struct {
	GOOS     string
	Getenv   func(name string) string
	Stat     func(path string) (fs.FileInfo, error)
	ReadFile func(path string) ([]byte, error) // for WSL detection
}

// HostSystem is the machine clilogin runs on.
func HostSystem() System {
	return System{GOOS: runtime.GOOS, Getenv: os.Getenv, Stat: os.Stat, ReadFile: os.ReadFile}
}

// Find returns the browser binary to use on this machine; see FindOn.
func Find(path string, headless bool) (string, error) {
	return FindOn(HostSystem(), path, headless)
}

// FindOn returns the browser binary to use: path (--browser) when it is
// set, else $CHROME_PATH when it is set (either must exist), else the
// headless shell for a headless login when one is installed, else the first
// Chrome, Chromium, Edge or Brave found in the system's usual places.
func FindOn(sys System, path string, headless bool) (string, error) {
	wsl := isWSL(sys)
	if wsl && !headless && sys.Getenv("DISPLAY") == "" && sys.Getenv("WAYLAND_DISPLAY") == "" {
		return "", failure.New(failure.Browser, wslChoices,
			"a browser window needs a display, and this WSL has none (no WSLg)")
	}
	if path != "" {
		if p, ok := lookPath(sys, path); ok {
			return p, nil
		}
		return "", failure.New(failure.Browser, "pass the path of a Chrome or Chromium binary to --browser",
			"browser %q not found or not executable", path)
	}
	if p := sys.Getenv("CHROME_PATH"); p != "" {
		if found, ok := lookPath(sys, p); ok {
			return found, nil
		}
		return "", failure.New(failure.Browser, "set CHROME_PATH to a Chrome or Chromium binary, or unset it",
			"CHROME_PATH %q not found or not executable", p)
	}
	list := browserCandidates(sys)
	if headless {
		list = append(headlessShells(sys.GOOS), list...)
	}
	for _, c := range list {
		if p, ok := lookPath(sys, c); ok {
			return p, nil
		}
	}
	hint := map[string]string{
		"darwin":  "install Google Chrome (https://www.google.com/chrome/) or Chromium (brew install --cask chromium), or pass its path to --browser",
		"windows": "install Google Chrome or Microsoft Edge, or pass the path of chrome.exe or msedge.exe to --browser",
	}[sys.GOOS]
	switch {
	case wsl:
		hint = wslChoices
	case hint == "":
		hint = "install Chromium (Debian/Ubuntu: sudo apt-get install chromium) or pass its path to --browser"
	}
	return "", failure.New(failure.Browser, hint, "no Chrome, Chromium, Edge or Brave found")
}

// wslChoices are the ways to log in from WSL.
const wslChoices = "in WSL, install Chromium in the Linux distribution (sudo apt-get install chromium; " +
	"with WSLg it opens a window), or use --headless, or start Chrome on Windows with " +
	`"chrome.exe --remote-debugging-port=9222 --user-data-dir=%TEMP%\clilogin-chrome" ` +
	"and pass --remote-browser http://localhost:9222 (WSL's mirrored networking, or the Windows host's address)"

// isWSL reports whether this is Linux under the Windows Subsystem for Linux.
func isWSL(sys System) bool {
	if sys.GOOS != "linux" {
		return false
	}
	if sys.Getenv("WSL_DISTRO_NAME") != "" || sys.Getenv("WSL_INTEROP") != "" {
		return true
	}
	if sys.ReadFile == nil {
		return false
	}
	b, err := sys.ReadFile("/proc/sys/kernel/osrelease")
	return err == nil && strings.Contains(strings.ToLower(string(b)), "microsoft")
}

// headlessShells are the old headless shells, lighter and faster to start,
// used for headless logins when present.
func headlessShells(goos string) []string {
	if goos == "windows" {
		return []string{"chrome-headless-shell.exe"}
	}
	return []string{"/usr/lib/chromium/chromium-headless-shell", "chromium-headless-shell", "chrome-headless-shell"}
}

// browserCandidates are the Chrome, Chromium, Edge and Brave binaries tried
// in order: absolute paths, and names looked up in $PATH.
func browserCandidates(sys System) []string {
	switch sys.GOOS {
	case "darwin":
		var out []string
		roots := []string{"/Applications"}
		if home := sys.Getenv("HOME"); home != "" {
			roots = append(roots, strings.TrimSuffix(home, "/")+"/Applications")
		}
		for _, app := range []string{
			"Google Chrome.app/Contents/MacOS/Google Chrome",
			"Chromium.app/Contents/MacOS/Chromium",
			"Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
			"Brave Browser.app/Contents/MacOS/Brave Browser",
		} {
			for _, r := range roots {
				out = append(out, r+"/"+app)
			}
		}
		return append(out, "chromium", "google-chrome")
	case "windows":
		var roots []string
		for _, v := range []struct{ env, def string }{
			{"ProgramFiles", `C:\Program Files`},
			{"ProgramFiles(x86)", `C:\Program Files (x86)`},
			{"LocalAppData", ""},
		} {
			if d := sys.Getenv(v.env); d != "" {
				roots = append(roots, d)
			} else if v.def != "" {
				roots = append(roots, v.def)
			}
		}
		var out []string
		for _, exe := range []string{
			`Google\Chrome\Application\chrome.exe`,
			`Chromium\Application\chrome.exe`,
			`Microsoft\Edge\Application\msedge.exe`,
			`BraveSoftware\Brave-Browser\Application\brave.exe`,
		} {
			for _, r := range roots {
				out = append(out, strings.TrimRight(r, `\`)+`\`+exe)
			}
		}
		return append(out, "chrome.exe", "msedge.exe")
	}
	// Linux and other Unix systems. The real binaries under /usr/lib come
	// before the shell wrappers in /usr/bin, which start slower and stay the
	// parent of the browser.
	return []string{
		"/usr/lib/chromium/chromium",
		"/usr/lib/chromium-browser/chromium-browser",
		"chromium",
		"chromium-browser",
		"google-chrome",
		"google-chrome-stable",
		"chrome",
		"/opt/google/chrome/chrome",
		"microsoft-edge",
		"microsoft-edge-stable",
		"/opt/microsoft/msedge/msedge",
		"brave-browser",
		"/opt/brave.com/brave/brave",
	}
}

// lookPath finds name as exec.LookPath would on sys: a path with a
// separator is checked as it is, a bare name in each directory of PATH.
func lookPath(sys System, name string) (string, bool) {
	sep, list := "/", ":"
	if sys.GOOS == "windows" {
		sep, list = `\`, ";"
	}
	if strings.Contains(name, "/") || (sys.GOOS == "windows" && strings.Contains(name, `\`)) {
		return name, executable(sys, name)
	}
	for _, dir := range strings.Split(sys.Getenv("PATH"), list) {
		if dir == "" {
			continue
		}
		p := strings.TrimRight(dir, sep) + sep + name
		if executable(sys, p) {
			return p, true
		}
	}
	return "", false
}

// executable reports whether path is a file that can be run: on Unix with
// an execute bit, on Windows an .exe.
func executable(sys System, path string) bool {
	fi, err := sys.Stat(path)
	if err != nil || fi.IsDir() {
		return false
	}
	if sys.GOOS == "windows" {
		return strings.HasSuffix(strings.ToLower(path), ".exe")
	}
	return fi.Mode().Perm()&0o111 != 0
}
