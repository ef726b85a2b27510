//go:build unix

package ownfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// openNoFollow opens path without following a symbolic link at its last
// component (O_NOFOLLOW): the link itself makes the open fail. It opens
// without waiting (O_NONBLOCK): a FIFO or a device planted at path would
// otherwise block the open until a writer comes, in a system call that no
// signal ends; Open then refuses what is not a regular file. For a regular
// file the flag changes nothing.
func openNoFollow(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0o600)
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EMLINK) { // EMLINK: FreeBSD's answer
		return nil, fmt.Errorf("%s is a symbolic link: %w", path, ErrUntrusted)
	}
	return f, err
}

// checkOwner refuses a file owned by another user than the effective one.
func checkOwner(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		return fmt.Errorf("%s is owned by uid %d, not by you (uid %d): %w", path, st.Uid, uid, ErrUntrusted)
	}
	return nil
}

func writableByOthers(fi fs.FileInfo) bool { return fi.Mode().Perm()&0o022 != 0 }

// links is the number of names the file has.
func links(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}
