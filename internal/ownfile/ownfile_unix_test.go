//go:build unix

package ownfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
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
