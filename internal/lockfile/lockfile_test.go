package lockfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/ownfile"
)

func TestTryLockExcludesUntilUnlocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	l, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	l.Note("42\n")
	if b, _ := os.ReadFile(path); string(b) != "42\n" {
		t.Errorf("note = %q", b)
	}
	if _, err := TryLock(path); !errors.Is(err, ErrLocked) {
		t.Errorf("second TryLock: %v, want ErrLocked", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := Wait(ctx, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait: %v, want the deadline", err)
	}
	l.Unlock()
	l.Unlock() // twice is harmless
	l2, err := TryLock(path)
	if err != nil {
		t.Fatalf("after Unlock: %v", err)
	}
	l2.Unlock()
	if st, _ := os.Stat(path); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
}

func TestTryLockRefusesWhatIsNotTheUsersOwn(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("keep"), 0o600)
	os.Symlink(victim, filepath.Join(dir, "link.lock"))
	if _, err := TryLock(filepath.Join(dir, "link.lock")); !errors.Is(err, ownfile.ErrUntrusted) {
		t.Errorf("symlink: %v, want ErrUntrusted", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("the link's target holds %q", b)
	}
	if runtime.GOOS == "windows" {
		return
	}
	open := filepath.Join(dir, "open.lock")
	os.WriteFile(open, nil, 0o600)
	os.Chmod(open, 0o666)
	if _, err := TryLock(open); !errors.Is(err, ownfile.ErrUntrusted) {
		t.Errorf("world-writable: %v, want ErrUntrusted", err)
	}
	if os.Geteuid() == 0 {
		theirs := filepath.Join(dir, "theirs.lock")
		os.WriteFile(theirs, nil, 0o600)
		os.Chown(theirs, 65534, 65534)
		if _, err := TryLock(theirs); !errors.Is(err, ownfile.ErrUntrusted) {
			t.Errorf("another user's: %v, want ErrUntrusted", err)
		}
	}
}
