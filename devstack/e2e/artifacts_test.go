package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// anyJWT is any JWT-shaped string: a token the test does not know of (an
// ID token, a refresh token) is a secret too.
var anyJWT = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)

// artifactKinds are the files --artifacts writes for a failed browser login.
var artifactKinds = []string{"-screenshot.png", "-page.html", "-urls.txt"}

// scanArtifacts checks what is in an --artifacts directory that clilogin
// created: the directory 0700, each file 0600 and named by one of the
// kinds, and no secret and no JWT in any of them. The screenshot's pixels
// match no text: what it shows is checked in the browser package, on the
// page as masked.
func scanArtifacts(t *testing.T, dir string, secrets []string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		return
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("artifacts directory %s: %v, mode %v; want 0700", dir, err, modeOf(st))
	}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil || st.Mode().Perm() != 0o600 || !st.Mode().IsRegular() {
			t.Errorf("artifact %s: %v, mode %v; want a 0600 file", filepath.Base(f), err, modeOf(st))
		}
		if !slicesHasSuffix(filepath.Base(f), artifactKinds) {
			t.Errorf("unexpected file in the artifacts directory: %s", filepath.Base(f))
		}
		b, _ := os.ReadFile(f)
		noSecrets(t, filepath.Base(f), string(b), secrets)
		if m := anyJWT.Find(b); m != nil && !strings.HasSuffix(f, ".png") {
			t.Errorf("%s shows a JWT (%.12s…)", filepath.Base(f), m)
		}
	}
}

// wantArtifacts checks which artifacts a failure left: all three kinds
// (want ""), none ("none") or either ("any").
func wantArtifacts(t *testing.T, dir, want string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	switch {
	case want == "any":
	case want == "none" && len(files) > 0:
		t.Errorf("artifacts written for a failure after the browser: %q", files)
	case want == "":
		for _, kind := range artifactKinds {
			if m, _ := filepath.Glob(filepath.Join(dir, "clilogin-*"+kind)); len(m) != 1 {
				t.Errorf("want one clilogin-*%s in the artifacts, got %q", kind, m)
			} else if st, err := os.Stat(m[0]); err != nil || st.Size() == 0 {
				t.Errorf("artifact %s is empty or unreadable: %v", m[0], err)
			}
		}
	}
}

func slicesHasSuffix(name string, suffixes []string) bool {
	for _, s := range suffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

func modeOf(st os.FileInfo) os.FileMode {
	if st == nil {
		return 0
	}
	return st.Mode()
}
