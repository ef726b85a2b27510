package browser

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/clilogin/clilogin/internal/failure"
)

// lockName is clilogin's own lock file in a profile. Chrome's SingletonLock
// guards the full browser; the headless shell takes none, so clilogin locks
// the profile itself in every mode.
const lockName = "clilogin.lock"

// profileLock is an exclusive lock on a browser profile.
type profileLock struct{ f *os.File }

// lockProfile creates dir (0700) and locks it for this process. It fails at
// once, naming the PID, when another clilogin or a Chrome holds the profile.
// A stale lock of a killed run is taken over silently.
func lockProfile(dir string) (*profileLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, failure.New(failure.Browser, "pass a writable directory to --profile",
			"cannot create the browser profile: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, failure.New(failure.Browser, "pass a writable directory to --profile",
			"cannot lock the browser profile: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid := "unknown"
		if b, rerr := os.ReadFile(f.Name()); rerr == nil && len(strings.TrimSpace(string(b))) > 0 {
			pid = strings.TrimSpace(string(b))
		}
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, failure.New(failure.Browser,
				"wait for the other login to finish, or pass another --profile",
				"the browser profile %s is in use by another clilogin (pid %s)", dir, pid)
		}
		return nil, failure.New(failure.Browser, "", "cannot lock the browser profile: %w", err)
	}
	if pid, ok := liveChromeLock(dir); ok {
		f.Close()
		return nil, failure.New(failure.Browser,
			"close that Chrome, or pass another --profile",
			"the browser profile %s is in use by a running Chrome (pid %d)", dir, pid)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &profileLock{f: f}, nil
}

func (l *profileLock) unlock() {
	if l != nil && l.f != nil {
		_ = l.f.Truncate(0)
		l.f.Close() // closing releases the flock
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
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return 0, false // stale: Chrome takes it over
	}
	if cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && !strings.Contains(strings.ToLower(string(cmd)), "chrom") {
		return 0, false // the PID was reused by another program
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
	lock, err := lockProfile(dir)
	if err != nil {
		return err
	}
	defer lock.unlock()
	if err := os.RemoveAll(dir); err != nil {
		return failure.New(failure.Internal, "delete it by hand", "cannot delete the browser profile: %w", err)
	}
	return nil
}
