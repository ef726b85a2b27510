package chrome

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/clilogin/clilogin/internal/failure"
)

// otherUID returns a user ID that is not the test's. Only root can give a
// file to another user, and CI runs as root; elsewhere the test is skipped.
func otherUID(t *testing.T) int {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("Windows decides access by ACLs; clilogin checks no owner there")
	}
	if os.Geteuid() != 0 {
		t.Skip("only root can create another user's files (CI runs as root)")
	}
	return 65534 // nobody
}

func TestLockProfileRefusesASymlinkedLockFileAndLeavesItsTarget(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("keep"), 0o600)
	os.Symlink(victim, filepath.Join(dir, lockName))
	l, err := LockProfile(dir)
	l.Unlock()
	if err == nil || failure.KindOf(err) != failure.Browser {
		t.Errorf("LockProfile with a symlinked lock file: %v, want a browser error", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("the link's target now holds %q", b)
	}
}

func TestLockProfileRefusesAProfileOthersCanWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profile")
	os.Mkdir(dir, 0o700)
	os.Chmod(dir, 0o777)
	l, err := LockProfile(dir)
	l.Unlock()
	if err == nil || failure.KindOf(err) != failure.Browser || !strings.Contains(err.Error(), "writable by other users") {
		t.Fatalf("LockProfile on a 0777 directory: %v, want a browser error saying why", err)
	}
	if h := failure.HintOf(err); !strings.Contains(h, "chmod 700") {
		t.Errorf("hint %q does not say how to fix it", h)
	}
}

func TestLockProfileRefusesAProfileOfAnotherUser(t *testing.T) {
	uid := otherUID(t)
	dir := filepath.Join(t.TempDir(), "profile")
	os.Mkdir(dir, 0o700)
	os.Chown(dir, uid, uid)
	l, err := LockProfile(dir)
	l.Unlock()
	if err == nil || failure.KindOf(err) != failure.Browser || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("LockProfile on another user's directory: %v, want a browser error saying why", err)
	}
}

func TestRemoveProfileRefusesADirectoryOfAnotherUser(t *testing.T) {
	uid := otherUID(t)
	dir := filepath.Join(t.TempDir(), "theirs")
	os.Mkdir(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "Local State"), []byte("{}"), 0o600)
	os.Chown(dir, uid, uid)
	if err := RemoveProfile(dir); err == nil {
		t.Error("RemoveProfile deleted another user's directory")
	}
	if _, err := os.Stat(filepath.Join(dir, "Local State")); err != nil {
		t.Errorf("the directory was touched: %v", err)
	}
}

// RemoveProfile deletes a browser profile, and refuses, untouched, a
// directory that does not look like one (the README promises it: a typo in
// logout --profile=DIR must not delete a home directory).
func TestRemoveProfileDeletesOnlyAProfile(t *testing.T) {
	notProfile := t.TempDir()
	os.WriteFile(filepath.Join(notProfile, "thesis.tex"), []byte("keep"), 0o600)
	err := RemoveProfile(notProfile)
	if failure.KindOf(err) != failure.Usage || !strings.Contains(fmt.Sprint(err), "does not look like a browser profile") {
		t.Errorf("RemoveProfile of a directory that is not a profile: %v (%v), want a usage error saying why", err, failure.KindOf(err))
	}
	if b, _ := os.ReadFile(filepath.Join(notProfile, "thesis.tex")); string(b) != "keep" {
		t.Error("the directory that is not a profile was touched")
	}

	profile := filepath.Join(t.TempDir(), "profile")
	os.Mkdir(profile, 0o700)
	os.WriteFile(filepath.Join(profile, "Local State"), []byte("{}"), 0o600)
	os.MkdirAll(filepath.Join(profile, "Default"), 0o700)
	if err := RemoveProfile(profile); err != nil {
		t.Fatalf("RemoveProfile of a profile: %v", err)
	}
	if _, err := os.Stat(profile); !os.IsNotExist(err) {
		t.Errorf("the profile is still there: %v", err)
	}
	if err := RemoveProfile(profile); err != nil {
		t.Errorf("RemoveProfile of a profile already gone: %v", err)
	}
}
