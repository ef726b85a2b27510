package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clilogin/clilogin/devstack"
)

// docMarker marks a ```sh block of the README or docs/*.md as a command
// against the demo stack: TestDocExamples runs it, and compares what it
// prints with the ```text block right after it, if there is one.
const docMarker = "<!-- demo-tested -->"

// docExample is one marked block.
type docExample struct {
	file string // README.md, docs/ci.md, …
	line int    // of the ```sh line
	code string
	want string // the output block after it; "" checks the exit code only
}

// docPlaceholders are the documents' stand-ins for the demo stack; the
// backend's URL and the port are the stack's own.
func docPlaceholders(backend string) *strings.Replacer {
	return strings.NewReplacer(
		"https://api.example.com", backend,
		"https://staging.example.com", backend,
		"http://127.0.0.1:5000", backend,
		"smoke@example.com", devstack.DemoUser.Email,
	)
}

// readDocExamples returns the marked blocks of a Markdown file. A marker
// that is not followed by a ```sh block is an error, so that a marked
// example cannot silently drop out of the test.
func readDocExamples(path, name string) ([]docExample, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(b), "\n")
	var out []docExample
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != docMarker {
			continue
		}
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		if j >= len(lines) || strings.TrimSpace(lines[j]) != "```sh" {
			return nil, fmt.Errorf("%s:%d: %s is not followed by a ```sh block", name, i+1, docMarker)
		}
		ex := docExample{file: name, line: j + 1}
		code, k, ok := fenced(lines, j+1)
		if !ok {
			return nil, fmt.Errorf("%s:%d: the ```sh block does not end", name, j+1)
		}
		ex.code = code
		for k < len(lines) && strings.TrimSpace(lines[k]) == "" {
			k++
		}
		if k < len(lines) && strings.TrimSpace(lines[k]) == "```text" {
			want, _, ok := fenced(lines, k+1)
			if !ok {
				return nil, fmt.Errorf("%s:%d: the ```text block does not end", name, k+1)
			}
			ex.want = want
		}
		out = append(out, ex)
		i = j
	}
	return out, nil
}

// fenced returns the lines from start up to the closing fence and the
// index after it.
func fenced(lines []string, start int) (string, int, bool) {
	for k := start; k < len(lines); k++ {
		if strings.TrimSpace(lines[k]) == "```" {
			return strings.Join(lines[start:k], "\n"), k + 1, true
		}
	}
	return "", 0, false
}

// shapeOf turns a documented output into a pattern of its shape: what
// varies from run to run — numbers (ports, times, sizes) and "…" (anything)
// — is left open, spaces are any run of white space, and "eyJ…" is a JWT.
func shapeOf(want string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)\A\s*`)
	for i, field := range strings.Fields(want) {
		if i > 0 {
			b.WriteString(`\s+`)
		}
		b.WriteString(fieldPattern(field))
	}
	b.WriteString(`\s*\z`)
	return regexp.MustCompile(b.String())
}

var variablePart = regexp.MustCompile(`eyJ…|…|[0-9]+`)

func fieldPattern(field string) string {
	var b strings.Builder
	last := 0
	for _, m := range variablePart.FindAllStringIndex(field, -1) {
		b.WriteString(regexp.QuoteMeta(field[last:m[0]]))
		switch v := field[m[0]:m[1]]; v {
		case "eyJ…":
			b.WriteString(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
		case "…":
			b.WriteString(`.*?`)
		default:
			b.WriteString(`[0-9]+`)
		}
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(field[last:]))
	return b.String()
}

// The documents' own files: the README and every hand-written page of docs/.
func docFiles(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{"README.md": "../../README.md"}
	pages, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		files["docs/"+filepath.Base(p)] = p
	}
	return files
}

// TestDocExampleShapes checks the matching itself, so that a pattern that
// matches anything cannot pass every example.
func TestDocExampleShapes(t *testing.T) {
	for _, c := range []struct {
		want, got string
		match     bool
	}{
		{"logged in to http://127.0.0.1:5000 as alice@example.com", "logged in to http://127.0.0.1:40123 as alice@example.com\n", true},
		{"logged in to http://127.0.0.1:5000 as alice@example.com", "logged in to http://127.0.0.1:40123 as bob@example.com\n", false},
		{"alice@example.com", "alice@example.com\nmore\n", false},
		{"eyJ…", "eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl", true},
		{"eyJ…", "<html>sign in</html>", false},
		{`{"backend":"x",…"source":"browser",…}`, `{"backend":"x","identity":"a","source":"browser","timings":{}}`, true},
		{`{"backend":"x",…"source":"browser",…}`, `{"backend":"x","identity":"a","source":"cache","timings":{}}`, false},
		{"BACKEND … IDENTITY …", "BACKEND            IDENTITY   EXPIRES", true},
	} {
		if got := shapeOf(c.want).MatchString(c.got); got != c.match {
			t.Errorf("shape %q on %q: match %v, want %v", c.want, c.got, got, c.match)
		}
	}
	lines := []string{"x", docMarker, "", "```yaml", "a: b", "```"}
	path := filepath.Join(t.TempDir(), "x.md")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readDocExamples(path, "x.md"); err == nil {
		t.Error("a marker before a yaml block was accepted")
	}
}

// TestDocExamples runs every marked ```sh block of the README and docs/ in
// a shell against the demo stack, with the documents' example URLs and
// user replaced by the stack's, and compares the output with the block's
// documented output. The blocks of one file run in order in one home
// directory, after a first headless login of the demo user there (a person
// would have signed in in the window); so a block may rely on the ones
// before it.
func TestDocExamples(t *testing.T) {
	need(t, "Chromium headless shell", browserPaths["shell"])
	need(t, "curl", "curl")
	files := docFiles(t)
	total := 0
	for name, path := range files {
		examples, err := readDocExamples(path, name)
		if err != nil {
			t.Fatal(err)
		}
		if name == "README.md" && len(examples) < 5 {
			t.Fatalf("README.md has %d marked examples; the person, CI and script sections should be tested", len(examples))
		}
		if len(examples) == 0 {
			continue
		}
		total += len(examples)
		t.Run(name, func(t *testing.T) {
			// Each file gets a stack of its own: a block may log out or
			// end sessions.
			s := newStack(t, devstack.Config{})
			home := t.TempDir()
			work := t.TempDir()
			r := clilogin(t, run{home: home, args: []string{"login", "--backend", s.BackendURL, "--headless",
				"--username", devstack.DemoUser.Email, "--timeout", "30s", "--browser", browserPaths["shell"]},
				env: []string{"CLILOGIN_PASSWORD=" + password}})
			wantCode(t, r, 0)
			sub := docPlaceholders(s.BackendURL)
			for _, ex := range examples {
				code := sub.Replace(ex.code)
				out, errOut, exit := runDocBlock(t, code, home, work)
				where := fmt.Sprintf("%s:%d", ex.file, ex.line)
				t.Logf("%s:\n%s\nstdout:\n%s", where, code, out)
				if exit != 0 {
					t.Errorf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", where, exit, out, errOut)
					continue
				}
				if ex.want == "" {
					continue
				}
				if want := sub.Replace(ex.want); !shapeOf(want).MatchString(out) {
					t.Errorf("%s: the output is not shaped as documented:\nwant:\n%s\ngot:\n%s\nstderr:\n%s", where, want, out, errOut)
				}
			}
		})
	}
	if total == 0 {
		t.Fatal("no marked examples found")
	}
}

// runDocBlock runs a block in bash (errexit, pipefail) in work, with the
// clilogin under test first in PATH and its own home, and checks that no
// browser is left running on that home.
func runDocBlock(t *testing.T, code, home, work string) (stdout, stderr string, exit int) {
	t.Helper()
	before := map[string]bool{}
	for _, p := range processesMentioning(home) {
		before[p] = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	tmp := t.TempDir()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", code)
	cmd.Dir = work
	cmd.Env = []string{
		"PATH=" + filepath.Dir(cliBin) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"TMPDIR=" + tmp,
		"CI=true", // headless, as in a job
		"CLILOGIN_BROWSER=" + browserPaths["shell"],
		"SMOKE_PASSWORD=" + password,
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		exit = ee.ExitCode()
	case err != nil:
		t.Fatalf("running bash: %v", err)
	}
	noBrowserLeft(t, home, before)
	return out.String(), errOut.String(), exit
}
