package cache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/internal/cookies"
	"github.com/clilogin/clilogin/internal/ownfile"
)

func TestSaveWritesPrivateFilesAtomicallyAndLoadReadsThem(t *testing.T) {
	s := Store{Dir: filepath.Join(t.TempDir(), "a", "clilogin")}
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	in := Entry{Backend: "https://api.example.com", Identity: "alice", Token: "t0k3n", TokenExpiresAt: exp,
		Cookies: []cookies.Cookie{{Name: "sid", Value: "v", Domain: "api.example.com", HostOnly: true, Path: "/"}}}
	if err := s.Save("e", in); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{s.Dir: 0o700, filepath.Join(s.Dir, "e.json"): 0o600} {
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: %v, mode %v, want %v", path, err, st.Mode().Perm(), want)
		}
	}
	if leftovers, _ := filepath.Glob(filepath.Join(s.Dir, ".*tmp")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	out, err := s.Load("e")
	if err != nil {
		t.Fatal(err)
	}
	if out.Token != in.Token || !out.TokenExpiresAt.Equal(exp) || out.Identity != "alice" || len(out.Cookies) != 1 || out.Version != version {
		t.Errorf("Load = %+v", out)
	}
}

func TestSaveTightensAnExistingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "clilogin")
	os.MkdirAll(dir, 0o755)
	if err := (Store{Dir: dir}).Save("e", Entry{}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", st.Mode().Perm())
	}
}

func TestLoadReportsMissingCorruptAndForeignFiles(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	if _, err := s.Load("none"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v, want ErrNotFound", err)
	}
	for name, body := range map[string]string{
		"truncated": `{"version":1,"token":"abc`,
		"garbage":   "\x00\x01not json",
		"foreign":   `{"version":99,"token":"abc"}`,
		"empty":     "",
	} {
		os.WriteFile(filepath.Join(s.Dir, name+".json"), []byte(body), 0o600)
		_, err := s.Load(name)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "abc") {
			t.Errorf("%s: error shows the file's contents: %v", name, err)
		}
	}
}

// otherUID returns a user ID that is not the test's. Only root can give a
// file to another user, and CI runs as root; elsewhere the test is skipped.
func otherUID(t *testing.T) int {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("Windows decides access by ACLs; clilogin checks no owner there")
	}
	if os.Geteuid() != 0 {
		t.Skip("only root can create another user's files (CI runs as root)")
	}
	return 65534 // nobody
}

func TestSaveRefusesADirectoryOfAnotherUserAndLeavesTheOldEntry(t *testing.T) {
	uid := otherUID(t)
	s := Store{Dir: t.TempDir()}
	if err := s.Save("e", Entry{Token: "old"}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(s.Dir, uid, uid); err != nil {
		t.Fatal(err)
	}
	if err := s.Save("e", Entry{Token: "new"}); !errors.Is(err, ownfile.ErrUntrusted) {
		t.Fatalf("Save into another user's directory: %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(filepath.Join(s.Dir, "e.json")); !strings.Contains(string(b), `"old"`) {
		t.Errorf("the old entry was replaced: %s", b)
	}
}

func TestLoadRefusesAnEntryOfAnotherUserOrWritableByOthers(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	if err := s.Save("mine", Entry{Token: "attacker", Profile: "/etc"}); err != nil {
		t.Fatal(err)
	}
	t.Run("world-writable", func(t *testing.T) {
		os.Chmod(filepath.Join(s.Dir, "mine.json"), 0o666)
		defer os.Chmod(filepath.Join(s.Dir, "mine.json"), 0o600)
		e, err := s.Load("mine")
		if !errors.Is(err, ownfile.ErrUntrusted) || e.Token != "" {
			t.Errorf("Load = %q, %v; want a refusal", e.Token, err)
		}
	})
	t.Run("another user's", func(t *testing.T) {
		uid := otherUID(t)
		b, _ := os.ReadFile(filepath.Join(s.Dir, "mine.json"))
		os.WriteFile(filepath.Join(s.Dir, "theirs.json"), b, 0o644)
		os.Chown(filepath.Join(s.Dir, "theirs.json"), uid, uid)
		e, err := s.Load("theirs")
		if !errors.Is(err, ownfile.ErrUntrusted) || e.Token != "" || e.Profile != "" {
			t.Errorf("Load = %+v, %v; want a refusal", e, err)
		}
		if err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
			t.Errorf("the message does not say why: %v", err)
		}
	})
	t.Run("symbolic link", func(t *testing.T) {
		os.Symlink(filepath.Join(s.Dir, "mine.json"), filepath.Join(s.Dir, "link.json"))
		if _, err := s.Load("link"); !errors.Is(err, ownfile.ErrUntrusted) {
			t.Errorf("Load through a symlink: %v, want a refusal", err)
		}
	})
}

func TestSaveRefusesASymlinkedCacheDirAndLeavesItsTarget(t *testing.T) {
	target := filepath.Join(t.TempDir(), "elsewhere")
	os.Mkdir(target, 0o755)
	dir := filepath.Join(t.TempDir(), "clilogin")
	if err := os.Symlink(target, dir); err != nil {
		t.Fatal(err)
	}
	s := Store{Dir: dir}
	if err := s.Save("e", Entry{Token: "t"}); !errors.Is(err, ownfile.ErrUntrusted) {
		t.Errorf("Save through a symlinked directory: %v, want a refusal", err)
	}
	if _, err := s.Lock(context.Background(), "e"); !errors.Is(err, ownfile.ErrUntrusted) {
		t.Errorf("Lock through a symlinked directory: %v, want a refusal", err)
	}
	if st, _ := os.Stat(target); st.Mode().Perm() != 0o755 {
		t.Errorf("the link's target was chmod'ed to %v", st.Mode().Perm())
	}
	if files, _ := os.ReadDir(target); len(files) > 0 {
		t.Errorf("files written through the link: %v", files)
	}
}

func TestLockRefusesASymlinkAndLeavesItsTarget(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("keep"), 0o600)
	os.Symlink(victim, filepath.Join(s.Dir, "e.lock"))
	unlock, err := s.Lock(context.Background(), "e")
	if err == nil {
		unlock()
	}
	if !errors.Is(err, ownfile.ErrUntrusted) {
		t.Errorf("Lock through a symlink: %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("the link's target now holds %q", b)
	}
}

func TestSaveFailsWhenTheCacheDirIsAFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if err := (Store{Dir: filepath.Join(f, "clilogin")}).Save("e", Entry{}); err == nil {
		t.Error("Save below a file succeeded")
	}
}

func TestLockExcludesAndWaitsUntilTheContextEnds(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	unlock, err := s.Lock(context.Background(), "e")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(ctx, "e"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second lock: %v, want the context's deadline", err)
	}
	// A waiter started while the lock is held gets it only once it is
	// released.
	trying, got := make(chan struct{}), make(chan error, 1)
	go func() {
		close(trying)
		u, err := s.Lock(context.Background(), "e")
		if err == nil {
			u()
		}
		got <- err
	}()
	<-trying
	select {
	case err := <-got:
		t.Fatalf("the waiter got the lock while it was held (err %v)", err)
	case <-time.After(100 * time.Millisecond): // it is waiting
	}
	unlock()
	if err := <-got; err != nil {
		t.Errorf("lock after unlock: %v", err)
	}
}

func TestTokenValidForNeedsAKnownExpiry(t *testing.T) {
	now := time.Now()
	for _, tt := range []struct {
		e    Entry
		want bool
	}{
		{Entry{Token: "t", TokenExpiresAt: now.Add(time.Hour)}, true},
		{Entry{Token: "t", TokenExpiresAt: now.Add(30 * time.Second)}, false},
		{Entry{Token: "t"}, false},
		{Entry{TokenExpiresAt: now.Add(time.Hour)}, false},
	} {
		if got := tt.e.TokenValidFor(now, time.Minute); got != tt.want {
			t.Errorf("%+v: %v, want %v", tt.e, got, tt.want)
		}
	}
}

// FuzzDecode checks that no file content crashes the reader, and that
// what it accepts is an entry of this version.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"version":1,"backend":"https://x","token":"a.b.c","cookies":[{"name":"s","value":"v"}]}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"version":1,"token_expires_at":"not a time"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Decode(b, "fuzz")
		if err == nil && e.Version != version {
			t.Errorf("accepted version %d", e.Version)
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Errorf("error %v is not ErrCorrupt", err)
		}
	})
}

func TestListReturnsEveryEntrySortedWithItsError(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	if got, err := s.List(); err != nil || len(got) != 0 {
		t.Fatalf("List of an empty directory = %+v, %v", got, err)
	}
	for _, n := range []string{"b", "a"} {
		if err := s.Save(n, Entry{Backend: "https://" + n + ".example", Token: "t-" + n}); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(s.Dir, "c.json"), []byte("{"), 0o600)
	unlock, err := s.Lock(context.Background(), "a") // a lock file is not an entry
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	got, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range got {
		names = append(names, l.Name)
	}
	if strings.Join(names, " ") != "a b c" {
		t.Fatalf("List names = %q, want a b c", names)
	}
	if got[0].Err != nil || got[0].Entry.Token != "t-a" || got[1].Entry.Backend != "https://b.example" {
		t.Errorf("List = %+v", got)
	}
	if !errors.Is(got[2].Err, ErrCorrupt) {
		t.Errorf("the corrupt entry's error = %v, want ErrCorrupt", got[2].Err)
	}
}

func TestDeleteRemovesOneEntryAndAMissingOneIsNoError(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	s.Save("a", Entry{Token: "a"})
	s.Save("b", Entry{Token: "b"})
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load("a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load after Delete = %v, want ErrNotFound", err)
	}
	if e, err := s.Load("b"); err != nil || e.Token != "b" {
		t.Errorf("the other entry: %+v, %v", e, err)
	}
	if err := s.Delete("a"); err != nil {
		t.Errorf("Delete of a missing entry = %v", err)
	}
}

func TestLiveCookiesDropsExpiredOnes(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e := Entry{Cookies: []cookies.Cookie{
		{Name: "session"}, // a session cookie: no expiry
		{Name: "future", Expires: now.Add(time.Second)},
		{Name: "past", Expires: now.Add(-time.Second)},
		{Name: "now", Expires: now},
	}}
	var names []string
	for _, c := range e.LiveCookies(now) {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, " "); got != "session future" {
		t.Errorf("LiveCookies = %q, want session future", got)
	}
}

func TestLoadRefusesASymlinkedOrForeignCacheDir(t *testing.T) {
	real := t.TempDir()
	if err := (Store{Dir: real}).Save("e", Entry{Token: "planted", Profile: "/etc"}); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "clilogin")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	s := Store{Dir: link}
	if e, err := s.Load("e"); !errors.Is(err, ownfile.ErrUntrusted) || e.Token != "" {
		t.Errorf("Load through a symlinked cache dir = %+v, %v; want a refusal", e, err)
	}
	if got, _ := s.List(); len(got) != 1 || !errors.Is(got[0].Err, ownfile.ErrUntrusted) {
		t.Errorf("List through a symlinked cache dir = %+v; want the entry refused", got)
	}
	t.Run("another user's", func(t *testing.T) {
		uid := otherUID(t)
		if err := os.Chown(real, uid, uid); err != nil {
			t.Fatal(err)
		}
		if e, err := (Store{Dir: real}).Load("e"); !errors.Is(err, ownfile.ErrUntrusted) || e.Token != "" {
			t.Errorf("Load from another user's cache dir = %+v, %v; want a refusal", e, err)
		}
	})
}

func TestLoadReadsAtMostOneMiB(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	entry := []byte(`{"version":1,"token":"t"}`)
	pad := func(n int) []byte { // entry, then spaces up to n bytes
		return append(append([]byte{}, entry...), []byte(strings.Repeat(" ", n-len(entry)))...)
	}
	os.WriteFile(filepath.Join(s.Dir, "max.json"), pad(maxFile), 0o600)
	if e, err := s.Load("max"); err != nil || e.Token != "t" {
		t.Errorf("an entry of exactly %d bytes: %+v, %v", maxFile, e, err)
	}
	os.WriteFile(filepath.Join(s.Dir, "big.json"), pad(maxFile+1), 0o600)
	if _, err := s.Load("big"); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Errorf("an entry of %d bytes: %v, want ErrCorrupt saying it is too large", maxFile+1, err)
	}
}

// ListPrefix reads the entries of one name prefix and no other file: a
// corrupt entry of another prefix is not even reported.
func TestListPrefixReadsOnlyItsNames(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	for _, n := range []string{"https_a.example_443-1", "https_a.example_443@bob-2", "https_b.example_443-3"} {
		if err := s.Save(n, Entry{Backend: "https://x.example", Token: "t-" + n}); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(s.Dir, "https_b.example_443@eve-4.json"), []byte("{"), 0o600)
	got, err := s.ListPrefix("https_a.example_443")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range got {
		names = append(names, l.Name)
		if l.Err != nil || l.Entry.Token != "t-"+l.Name {
			t.Errorf("%s: %+v", l.Name, l)
		}
	}
	if strings.Join(names, " ") != "https_a.example_443-1 https_a.example_443@bob-2" {
		t.Errorf("ListPrefix names = %q", names)
	}
	if got, err := s.ListPrefix("*"); err != nil || len(got) != 0 {
		t.Errorf("ListPrefix(\"*\") = %+v, %v: a prefix is not a pattern", got, err)
	}
}

// A cache directory whose path has a glob's special characters (a home
// directory named "[work]") still lists its entries: the directory is not
// a pattern.
func TestListInADirectoryWithGlobCharacters(t *testing.T) {
	s := Store{Dir: filepath.Join(t.TempDir(), "[work] *?", "clilogin")}
	if err := s.Save("https_a.example_443-1", Entry{Backend: "https://a.example", Token: "t"}); err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"", "https_a"} {
		got, err := s.ListPrefix(prefix)
		if err != nil || len(got) != 1 || got[0].Name != "https_a.example_443-1" || got[0].Entry.Token != "t" {
			t.Errorf("ListPrefix(%q) = %+v, %v; want the one entry", prefix, got, err)
		}
	}
}
