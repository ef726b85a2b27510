package chrome

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/clilogin/clilogin/internal/failure"
	"github.com/clilogin/clilogin/internal/lockfile"
	"github.com/clilogin/clilogin/internal/ownfile"
)

// lockName is clilogin's own lock file in a profile. Chrome's SingletonLock
// guards the full browser; the headless shell takes none, so clilogin locks
// the profile itself in every mode.
const lockName = "clilogin.lock"

// ProfileLock is an exclusive lock on a browser profile.
type ProfileLock struct{ l *lockfile.Lock }

// LockProfile creates dir (0700) and locks it for this process. It fails at
// once, naming the PID, when another clilogin or a Chrome holds the profile.
// A stale lock of a killed run is taken over silently. A profile that is
// another user's, or that others can write (they could plant an extension
// or read the IdP session), is refused, and so is a symbolic link at the
// lock file.
func LockProfile(dir string) (*ProfileLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, failure.New(failure.Browser, "pass a writable directory to --profile",
			"cannot create the browser profile: %w", err)
	}
	if err := ownfile.CheckDir(dir); err != nil {
		hint := "pass a directory of your own to --profile"
		if fi, serr := os.Stat(dir); serr == nil && ownfile.CheckOwner(dir, fi) == nil {
			hint = fmt.Sprintf("if nobody else used it, make it private with: chmod 700 %s; or pass another --profile", dir)
		}
		return nil, failure.New(failure.Browser, hint, "the browser profile is not safe to use: %w", err)
	}
	path := filepath.Join(dir, lockName)
	l, err := lockfile.TryLock(path)
	if errors.Is(err, lockfile.ErrLocked) {
		pid := "unknown"
		if b, rerr := os.ReadFile(path); rerr == nil && len(strings.TrimSpace(string(b))) > 0 {
			pid = strings.TrimSpace(string(b))
		}
		return nil, failure.New(failure.Browser,
			"wait for the other login to finish, or pass another --profile",
			"the browser profile %s is in use by another clilogin (pid %s)", dir, pid)
	}
	if errors.Is(err, ownfile.ErrUntrusted) {
		return nil, failure.New(failure.Browser, fmt.Sprintf("delete %s if you did not make it, or pass another --profile", path),
			"the browser profile's lock file is not safe to use: %w", err)
	}
	if err != nil {
		return nil, failure.New(failure.Browser, "pass a writable directory to --profile", "cannot lock the browser profile: %w", err)
	}
	if pid, ok := liveChromeLock(dir); ok {
		l.Unlock()
		return nil, failure.New(failure.Browser,
			"close that Chrome, or pass another --profile",
			"the browser profile %s is in use by a running Chrome (pid %d)", dir, pid)
	}
	l.Note(strconv.Itoa(os.Getpid()) + "\n")
	return &ProfileLock{l: l}, nil
}

// Unlock releases the profile. A nil lock, of a login that locked no
// profile, does nothing.
func (l *ProfileLock) Unlock() {
	if l != nil {
		l.l.Unlock()
	}
}

// liveChromeLock reads Chrome's SingletonLock, a symlink to "host-PID", and
// reports the PID when it names a live process on this host.
func liveChromeLock(dir string) (int, bool) {
	target, err := os.Readlink(filepath.Join(dir, "SingletonLock"))
	if err != nil {
		return 0, false
	}
	i := strings.LastIndexByte(target, '-')
	if i < 0 {
		return 0, false
	}
	pid, err := strconv.Atoi(target[i+1:])
	if err != nil || pid <= 0 {
		return 0, false
	}
	if host, err := os.Hostname(); err == nil && target[:i] != host {
		return 0, false // another machine's lock on a shared disk: let Chrome decide
	}
	if !chromeAlive(pid) {
		return 0, false // stale (Chrome takes it over), or the PID was reused by another program
	}
	return pid, true
}

// RemoveProfile deletes a browser profile, and with it the IdP sessions it
// keeps. It refuses a profile in use and a directory that does not look
// like a browser profile, so that a wrong path deletes nothing.
func RemoveProfile(dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	_, errLock := os.Stat(filepath.Join(dir, lockName))
	_, errState := os.Stat(filepath.Join(dir, "Local State"))
	if errLock != nil && errState != nil {
		return failure.New(failure.Usage, "check the path; delete it by hand if it really is a profile",
			"%s does not look like a browser profile; not deleted", dir)
	}
	lock, err := LockProfile(dir)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	if err := os.RemoveAll(dir); err != nil {
		return failure.New(failure.Internal, "delete it by hand", "cannot delete the browser profile: %w", err)
	}
	return nil
}
