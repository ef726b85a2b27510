package browser

import (
	"os/exec"

	"github.com/clilogin/clilogin/internal/failure"
)

// candidates are the Chrome and Chromium binaries tried in order. The real
// binaries under /usr/lib come before the shell wrappers in /usr/bin, which
// start slower and stay the parent of the browser.
var candidates = []string{
	"/usr/lib/chromium/chromium",
	"/usr/lib/chromium-browser/chromium-browser",
	"chromium",
	"chromium-browser",
	"google-chrome",
	"google-chrome-stable",
	"chrome",
	"/opt/google/chrome/chrome",
	"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
	"/Applications/Chromium.app/Contents/MacOS/Chromium",
}

// headlessShells are the old headless shells, lighter and faster to start,
// used for headless logins when present.
var headlessShells = []string{
	"/usr/lib/chromium/chromium-headless-shell",
	"chromium-headless-shell",
	"chrome-headless-shell",
}

// Find returns the browser binary to use: path when it is set (it must
// exist), else the headless shell for a headless login when one is
// installed, else the first Chrome or Chromium found.
func Find(path string, headless bool) (string, error) {
	if path != "" {
		p, err := exec.LookPath(path)
		if err != nil {
			return "", failure.New(failure.Browser, "pass the path of a Chrome or Chromium binary to --browser",
				"browser %q not found or not executable", path)
		}
		return p, nil
	}
	list := candidates
	if headless {
		list = append(append([]string{}, headlessShells...), candidates...)
	}
	for _, c := range list {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", failure.New(failure.Browser,
		"install Chromium (Debian/Ubuntu: sudo apt-get install chromium) or pass its path to --browser",
		"no Chrome or Chromium found")
}
