//go:build unix

package ownfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A file with a second hard link may be another file under another name
// (a lock in a directory others could write to, where the link was planted):
// writing to it would change that file. It is refused and left as it was.
func TestOpenRefusesAFileWithAnotherHardLink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(dir, "clilogin.lock")
	if err := os.Link(victim, lock); err != nil {
		t.Fatal(err)
	}
	f, err := Open(lock, os.O_RDWR|os.O_CREATE)
	if err == nil {
		f.Close()
		t.Fatal("a file with two hard links was opened")
	}
	if !errors.Is(err, ErrUntrusted) {
		t.Errorf("err = %v, want ErrUntrusted", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("the linked file changed: %q", b)
	}
	if f, err := Open(victim+"-own", os.O_RDWR|os.O_CREATE); err != nil {
		t.Errorf("a new file of one's own: %v", err)
	} else {
		f.Close()
	}
}

// A FIFO planted where a cache file or a lock is expected is refused at
// once: opening it for reading would wait for a writer for ever, in a
// system call that no signal ends.
func TestOpenRefusesAFIFOWithoutWaiting(t *testing.T) {
	dir := t.TempDir()
	for _, flag := range []int{os.O_RDONLY, os.O_RDWR | os.O_CREATE} {
		path := filepath.Join(dir, fmt.Sprintf("fifo-%d", flag))
		if err := unix.Mkfifo(path, 0o600); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			f, err := Open(path, flag)
			if f != nil {
				f.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrUntrusted) {
				t.Errorf("flag %#x: err = %v, want ErrUntrusted", flag, err)
			}
		case <-time.After(10 * time.Second):
			// Unblock the open so that the test ends.
			if w, err := os.OpenFile(path, os.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
			t.Fatalf("flag %#x: opening a FIFO still waits after 10s", flag)
		}
	}
}
