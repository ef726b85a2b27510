// Package ownfile opens and checks files and directories that clilogin
// trusts only when they are the user's own: not a symbolic link, owned by
// the user, and writable by no one else. Another user who can write into a
// shared directory can otherwise plant a token, name a directory to delete,
// or point a lock file at a file to truncate.
package ownfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrUntrusted is wrapped by every refusal of a file or directory that is not
// the user's own.
var ErrUntrusted = errors.New("not trusted")

// Open opens the regular file at path with flag (os.O_RDONLY, os.O_RDWR,
// os.O_CREATE…; a created file is 0600). It refuses, with an error wrapping
// ErrUntrusted, a symbolic link (it is not followed), a file that is not
// regular, one owned by another user, and one writable by the group or
// others.
func Open(path string, flag int) (*os.File, error) {
	f, err := openNoFollow(path, flag)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		err = check(path, fi)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// MkdirPrivate creates the directory path (0700, with its parents) when it
// is missing, and checks that it is the user's own: not a symbolic link and
// owned by the user. A directory of the user's that others may read or write
// is tightened to 0700.
func MkdirPrivate(path string) error {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return err
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if err := checkDir(path, fi, false); err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o700); err != nil {
			return err
		}
	}
	return nil
}

// OpenDir opens the directory path to write files into it, creating it
// (0700, with its parents) when it is missing. An existing directory is used
// as it is, never chmod'ed: it may be shared (/tmp, the current directory).
// It is refused, with an error wrapping ErrUntrusted, when path is a
// symbolic link (it is not followed) or belongs to another user. Files are
// to be created in it through the returned Root, which keeps them inside.
func OpenDir(path string) (*os.Root, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(path, 0o700); err == nil {
			fi, err = os.Lstat(path)
		}
	}
	if err != nil {
		return nil, err
	}
	if err := checkDir(path, fi, false); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, err
	}
	// The directory opened is the one checked, not one put in its place.
	if rfi, err := root.Stat("."); err != nil || !os.SameFile(fi, rfi) {
		root.Close()
		return nil, fmt.Errorf("%s was replaced while it was opened: %w", path, ErrUntrusted)
	}
	return root, nil
}

// CheckNewOrOwnDir checks ahead that OpenDir would use path: a path that
// does not exist yet, or a directory of the user's that is not a symbolic
// link.
func CheckNewOrOwnDir(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return checkDir(path, fi, false)
}

// CheckDir checks that the existing directory path is the user's own and
// writable by no one else. It follows a symbolic link at path and checks
// what it points to.
func CheckDir(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return checkDir(path, fi, true)
}

func checkDir(path string, fi fs.FileInfo, strict bool) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link: %w", path, ErrUntrusted)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", path)
	}
	if err := checkOwner(path, fi); err != nil {
		return err
	}
	if strict && writableByOthers(fi) {
		return fmt.Errorf("%s is writable by other users (mode %v): %w", path, fi.Mode().Perm(), ErrUntrusted)
	}
	return nil
}

// check checks an opened file.
func check(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file: %w", path, ErrUntrusted)
	}
	if err := checkOwner(path, fi); err != nil {
		return err
	}
	if writableByOthers(fi) {
		return fmt.Errorf("%s is writable by other users (mode %v): %w", path, fi.Mode().Perm(), ErrUntrusted)
	}
	if n := links(fi); n > 1 { // another name for it may be another file
		return fmt.Errorf("%s has %d hard links: %w", path, n, ErrUntrusted)
	}
	return nil
}

// CheckOwner refuses fi, the file or directory at path, when it belongs to
// another user.
func CheckOwner(path string, fi fs.FileInfo) error { return checkOwner(path, fi) }
