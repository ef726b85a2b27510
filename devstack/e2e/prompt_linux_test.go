package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// terminal is clilogin running on a pseudo-terminal, as over SSH: stdin,
// stdout and stderr are the terminal; what it shows is kept.
type terminal struct {
	t    *testing.T
	tty  *os.File
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	seen int // how far expect has read
	done chan struct{}
}

func startTerminal(t *testing.T, args []string, env ...string) *terminal {
	t.Helper()
	home, tmp := t.TempDir(), t.TempDir()
	cmd := exec.Command(cliBin, args...)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"TMPDIR=" + tmp,
		"TERM=xterm",
	}, env...)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 200})
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{t: t, tty: tty, cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(term.done)
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		tty.Close()
		for _, dir := range append(profilesIn(args), home, tmp) {
			noBrowserLeft(t, dir, nil)
		}
	})
	return term
}

func (term *terminal) transcript() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

// expect waits until the terminal shows want after what was already
// expected.
func (term *terminal) expect(want string) {
	term.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		term.mu.Lock()
		rest := term.out.String()[term.seen:]
		i := strings.Index(rest, want)
		if i >= 0 {
			term.seen += i + len(want)
		}
		term.mu.Unlock()
		if i >= 0 {
			return
		}
		select {
		case <-deadline:
			term.t.Fatalf("the terminal did not show %q:\n%s", want, term.transcript())
		case <-term.done:
			if !strings.Contains(term.transcript()[term.seen:], want) {
				term.t.Fatalf("clilogin ended before showing %q:\n%s", want, term.transcript())
			}
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// typeLine types s and Enter.
func (term *terminal) typeLine(s string) {
	term.t.Helper()
	if _, err := term.tty.WriteString(s + "\r"); err != nil {
		term.t.Fatal(err)
	}
}

// exit waits for clilogin to end and returns its exit code.
func (term *terminal) exit() int {
	term.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waited := make(chan error, 1)
	go func() { waited <- term.cmd.Wait() }()
	select {
	case err := <-waited:
		<-term.done
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		if err != nil {
			term.t.Fatal(err)
		}
		return 0
	case <-ctx.Done():
		term.t.Fatalf("clilogin did not end:\n%s", term.transcript())
		return -1
	}
}

// totpCode is RFC 6238's code for secret (base32) now: SHA-1, 30 s, 6 digits.
func totpCode(t *testing.T, secret string) string {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(time.Now().Unix()/30))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	n := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff
	return fmt.Sprintf("%06d", n%1_000_000)
}

// A person at a terminal with no display signs in with nothing but
// `clilogin login -b URL`: clilogin asks for the user name, the password
// (not echoed; asked again after the IdP refused it, with the IdP's words)
// and the one-time code, and types them into the headless page.
func TestTerminalPromptsSignIn(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	s := startNodeStack(t, "NODESTACK_TOTP_SECRET=JBSWY3DPEHPK3PXP")
	profile := filepath.Join(t.TempDir(), "p")
	term := startTerminal(t, []string{"login", "-b", s.Backend, "--profile", profile, "--timeout", "90s"})

	term.expect("User name: ")
	term.typeLine(s.Username)
	term.expect("Password: ")
	term.typeLine("wrong-Pa55word")
	term.expect("the identity provider says: Wrong email address or password.")
	term.expect("User name: ")
	term.typeLine(s.Username)
	term.expect("Password: ")
	term.typeLine(s.Password)
	term.expect("One-time code: ")
	term.typeLine(totpCode(t, s.TOTPSecret))
	term.expect("logged in to " + s.Backend + " as " + s.Email)
	if code := term.exit(); code != 0 {
		t.Fatalf("exit %d:\n%s", code, term.transcript())
	}
	out := term.transcript()
	t.Logf("terminal transcript:\n%s", out)
	if strings.Contains(out, s.Password) || strings.Contains(out, "wrong-Pa55word") {
		t.Errorf("the terminal shows a typed password:\n%s", out)
	}
	if !strings.Contains(out, "User name: "+s.Username) {
		t.Errorf("the user name was not echoed as typed (is the terminal echoing at all?):\n%s", out)
	}
}

// Without a terminal (CI, a pipe), or with --no-prompt, the same login
// ends at once with exit 4, asking nothing.
func TestTerminalPromptsOff(t *testing.T) {
	t.Parallel()
	need(t, "Chromium", browserPaths["shell"])
	s := startNodeStack(t)

	t.Run("no terminal", func(t *testing.T) {
		r := clilogin(t, run{args: []string{"login", "-b", s.Backend, "--headless", "--profile", filepath.Join(t.TempDir(), "p"), "--timeout", "30s"}})
		wantCode(t, r, 4)
		wantContains(t, "stderr", r.stderr, "a headless login has nobody to answer it")
		if strings.Contains(r.stderr, "User name:") {
			t.Errorf("asked without a terminal:\n%s", r.stderr)
		}
	})
	t.Run("--no-prompt at a terminal", func(t *testing.T) {
		term := startTerminal(t, []string{"login", "-b", s.Backend, "--profile", filepath.Join(t.TempDir(), "p"), "--timeout", "30s", "--no-prompt"})
		term.expect("a headless login has nobody to answer it")
		if code := term.exit(); code != 4 {
			t.Fatalf("exit %d, want 4:\n%s", code, term.transcript())
		}
		if strings.Contains(term.transcript(), "User name:") {
			t.Errorf("asked with --no-prompt:\n%s", term.transcript())
		}
	})
}
