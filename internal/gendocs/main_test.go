package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clilogin/clilogin/internal/cli"
)

// Every command of the table gets a Markdown page and a man page, and two
// runs give the same bytes (no date but the one given, no auto-gen line).
func TestOnePagePerCommand(t *testing.T) {
	var dirs [2]string
	for i := range dirs {
		dirs[i] = t.TempDir()
		var stderr bytes.Buffer
		if code := run([]string{"-md", filepath.Join(dirs[i], "md"), "-man", filepath.Join(dirs[i], "man"), "-date", "2026-01-02"}, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
	for _, c := range cli.Reference().Commands() {
		if !c.IsAvailableCommand() {
			continue
		}
		md := filepath.Join(dirs[0], "md", "clilogin_"+c.Name()+".md")
		man := filepath.Join(dirs[0], "man", "clilogin-"+c.Name()+".1")
		for _, f := range []string{md, man} {
			a, err := os.ReadFile(f)
			if err != nil {
				t.Fatalf("no page for %q: %v", c.Name(), err)
			}
			b, _ := os.ReadFile(strings.Replace(f, dirs[0], dirs[1], 1))
			if !bytes.Equal(a, b) {
				t.Errorf("%s differs between two runs", filepath.Base(f))
			}
			if bytes.Contains(a, []byte("Auto generated")) {
				t.Errorf("%s has cobra's dated auto-generated line", filepath.Base(f))
			}
		}
		page, _ := os.ReadFile(man)
		if want := `.TH "CLILOGIN-` + strings.ToUpper(c.Name()) + `" "1" "Jan 2026"`; !bytes.Contains(page, []byte(want)) {
			t.Errorf("%s: no header %s:\n%.200s", filepath.Base(man), want, page)
		}
	}
	if _, err := os.Stat(filepath.Join(dirs[0], "man", "clilogin.1")); err != nil {
		t.Errorf("no clilogin.1: %v", err)
	}
}

func TestManNeedsADate(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"-man", t.TempDir()}, &stderr); code == 0 || !strings.Contains(stderr.String(), "-date") {
		t.Errorf("exit %d, stderr %q: want a failure that names -date", code, stderr.String())
	}
}
