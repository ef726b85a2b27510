// Package lockfile is clilogin's one file lock, used for the cache entries
// and the browser profiles: an exclusive lock on a 0600 file of the user's
// own, opened without following a symbolic link (see package ownfile). The
// lock is released when the file is closed, also when the process dies.
package lockfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/clilogin/clilogin/internal/ownfile"
)

// ErrLocked means another process holds the lock.
var ErrLocked = errors.New("lockfile: locked by another process")

// Lock is a held lock. Its file may be written (e.g. the holder's PID).
type Lock struct{ f *os.File }

// TryLock opens (creating it 0600) the lock file at path and locks it at
// once, or fails with ErrLocked when another process holds it. A symbolic
// link, another user's file or a file writable by others is refused with an
// error wrapping ownfile.ErrUntrusted, and never written.
func TryLock(path string) (*Lock, error) {
	f, err := ownfile.Open(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, fmt.Errorf("lockfile: %w", err)
	}
	if err := lock(f); err != nil {
		f.Close()
		if errors.Is(err, ErrLocked) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("lockfile: %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Wait takes the lock, waiting for another holder to release it until ctx
// ends; then it returns context.Cause(ctx).
func Wait(ctx context.Context, path string) (*Lock, error) {
	for delay := 5 * time.Millisecond; ; delay = min(delay*2, 100*time.Millisecond) {
		l, err := TryLock(path)
		if !errors.Is(err, ErrLocked) {
			return l, err
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-time.After(delay):
		}
	}
}

// Note replaces the lock file's contents with s (e.g. the holder's PID).
func (l *Lock) Note(s string) {
	_ = l.f.Truncate(0)
	_, _ = l.f.WriteAt([]byte(s), 0)
}

// Unlock empties the file and releases the lock. A nil Lock does nothing.
func (l *Lock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	_ = l.f.Close() // closing releases the lock
	l.f = nil
}
