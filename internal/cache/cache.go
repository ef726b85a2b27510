// Package cache keeps one file per backend and account with its token,
// the token's expiry, the identity and the backend's cookies. Files are 0600 in 0700
// directories, written atomically, and a lock per entry lets concurrent
// clilogin processes on one backend run one browser login, not several.
package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/clilogin/clilogin/internal/atomicfile"
	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/lockfile"
	"github.com/clilogin/clilogin/internal/ownfile"
)

// version is the format of the files this code writes and reads.
const version = 1

// maxFile is the largest cache file read; a real one is a few kilobytes.
const maxFile = 1 << 20

var (
	// ErrNotFound means there is no entry for the backend.
	ErrNotFound = errors.New("cache: no entry")
	// ErrCorrupt means the entry's file cannot be read as an entry of this
	// version; it is treated as empty.
	ErrCorrupt = errors.New("cache: unreadable entry")
)

// Entry is what is kept for one account of one backend.
type Entry struct {
	Version int    `json:"version"`
	Backend string `json:"backend"`
	// Account is the account the entry is kept for; "" in an entry of a
	// clilogin before accounts, which is the default account's.
	Account string `json:"account,omitempty"`
	// Username is the --username the IdP session was signed in with; ""
	// when a person signed in at the window (or before this was recorded).
	Username       string           `json:"username,omitempty"`
	Identity       string           `json:"identity,omitempty"`
	Token          string           `json:"token,omitempty"`
	TokenExpiresAt time.Time        `json:"token_expires_at,omitzero"`
	Cookies        []cookies.Cookie `json:"cookies,omitempty"`
	// IdPSession is the identity provider's session cookies, kept to sign
	// in again without a password (replayed over HTTP, or put back into
	// the browser). They are as secret as a password and never exported.
	IdPSession []cookies.Cookie `json:"idp_session,omitempty"`
	Profile    string           `json:"profile,omitempty"`
	SavedAt    time.Time        `json:"saved_at"`
}

// TokenValidFor reports whether the token has a known expiry at least ttl
// after now. A token without a known expiry is never taken as valid: it is
// refreshed through the cookies, which costs no browser.
func (e Entry) TokenValidFor(now time.Time, ttl time.Duration) bool {
	return e.Token != "" && !e.TokenExpiresAt.IsZero() && e.TokenExpiresAt.Sub(now) >= ttl
}

// LiveCookies returns the cookies that have not expired at now.
func (e Entry) LiveCookies(now time.Time) []cookies.Cookie {
	var out []cookies.Cookie
	for _, c := range e.Cookies {
		if !c.Expired(now) {
			out = append(out, c)
		}
	}
	return out
}

// Store is the cache directory.
type Store struct {
	Dir string // <user cache dir>/clilogin
}

func (s Store) path(name string) string { return filepath.Join(s.Dir, name+".json") }

// Load reads the entry called name. It returns ErrNotFound when there is
// none and an error wrapping ErrCorrupt when the file is unreadable.
func (s Store) Load(name string) (Entry, error) {
	if err := s.checkDir(); err != nil {
		return Entry{}, err
	}
	// Another user's entry, or one others could have written, would hand
	// over their token and name a profile for logout to delete.
	f, err := ownfile.Open(s.path(name), os.O_RDONLY)
	if errors.Is(err, fs.ErrNotExist) {
		return Entry{}, ErrNotFound
	}
	if err != nil {
		return Entry{}, fmt.Errorf("cache: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFile+1)) // Decode refuses more than maxFile
	if err != nil {
		return Entry{}, fmt.Errorf("%w %s: %v", ErrCorrupt, f.Name(), err)
	}
	return Decode(b, f.Name())
}

// Decode parses an entry's file contents; name is only for messages.
func Decode(b []byte, name string) (Entry, error) {
	if len(b) > maxFile {
		return Entry{}, fmt.Errorf("%w %s: larger than %d bytes", ErrCorrupt, name, maxFile)
	}
	var e Entry
	if err := json.Unmarshal(b, &e); err != nil {
		return Entry{}, fmt.Errorf("%w %s: %v", ErrCorrupt, name, err)
	}
	if e.Version != version {
		return Entry{}, fmt.Errorf("%w %s: format version %d, this clilogin reads %d", ErrCorrupt, name, e.Version, version)
	}
	return e, nil
}

// Save writes the entry atomically: a 0600 temporary file in the same
// directory, synced, then renamed over the old one. A reader sees the old
// entry or the new one, never half of one.
func (s Store) Save(name string, e Entry) error {
	e.Version = version
	if err := ownfile.MkdirPrivate(s.Dir); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := atomicfile.Write(s.path(name), append(b, '\n')); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// Delete removes the entry called name; a missing entry is no error.
func (s Store) Delete(name string) error {
	if err := os.Remove(s.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// Listed is an entry of List, or the error reading it.
type Listed struct {
	Name  string
	Entry Entry
	Err   error
}

// List returns every entry, sorted by name.
func (s Store) List() ([]Listed, error) {
	return s.ListPrefix("")
}

// ListPrefix returns the entries whose names begin with prefix, in the
// order of their file names; the others are not read. A missing directory
// has none.
func (s Store) ListPrefix(prefix string) ([]Listed, error) {
	// Read, not globbed: the directory's path may hold *, ? or [.
	files, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	var out []Listed
	for _, f := range files {
		name, ok := strings.CutSuffix(f.Name(), ".json")
		if !ok || !strings.HasPrefix(name, prefix) {
			continue
		}
		e, err := s.Load(name)
		out = append(out, Listed{Name: name, Entry: e, Err: err})
	}
	return out, nil
}

// Lock takes the entry's lock, waiting for another process that holds it
// until ctx ends. The returned func releases it.
func (s Store) Lock(ctx context.Context, name string) (func(), error) {
	if err := ownfile.MkdirPrivate(s.Dir); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	l, err := lockfile.Wait(ctx, filepath.Join(s.Dir, name+".lock"))
	if err != nil {
		if ctx.Err() != nil {
			return nil, err // the context's cause, unwrapped
		}
		return nil, fmt.Errorf("cache: %w", err)
	}
	return l.Unlock, nil
}

// checkDir refuses a cache directory that is a symbolic link or another
// user's; a missing one is no error.
func (s Store) checkDir() error {
	fi, err := os.Lstat(s.Dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("cache: %w", err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("cache: %s is a symbolic link: %w", s.Dir, ownfile.ErrUntrusted)
	}
	if err := ownfile.CheckOwner(s.Dir, fi); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}
