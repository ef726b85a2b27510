//go:build windows

package ownfile

import (
	"fmt"
	"io/fs"
	"os"
)

// openNoFollow refuses a symbolic link or other reparse point at path, then
// opens it. Windows has no O_NOFOLLOW; the check and the open are two steps.
func openNoFollow(path string, flag int) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
		return nil, fmt.Errorf("%s is a symbolic link: %w", path, ErrUntrusted)
	}
	return os.OpenFile(path, flag, 0o600)
}

// checkOwner does nothing on Windows: access is decided by ACLs, and the
// files live in the user's own profile (%AppData%, %LocalAppData%), which
// other users cannot write by default.
func checkOwner(string, fs.FileInfo) error { return nil }

// writableByOthers is false on Windows, where the mode bits say nothing of
// other users.
func writableByOthers(fs.FileInfo) bool { return false }

// links is 1: hard links are left to the ACLs of the user's folders, as
// the owner is.
func links(fs.FileInfo) uint64 { return 1 }
