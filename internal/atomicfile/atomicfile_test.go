package atomicfile

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestWriteCreatesAPrivateFileInAPrivateDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "f.json")
	if err := Write(path, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "one" {
		t.Errorf("contents %q", b)
	}
	if runtime.GOOS == "windows" {
		return // no Unix modes
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", st.Mode().Perm())
	}
	if st, _ := os.Stat(filepath.Dir(path)); st.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", st.Mode().Perm())
	}
}

func TestWriteReplacesAndTightens(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "f")
	os.WriteFile(path, []byte("old contents, longer"), 0o644)
	if err := Write(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("contents %q, want new", b)
	}
	if runtime.GOOS != "windows" {
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
			t.Errorf("the replaced file's mode %v, want 0600", st.Mode().Perm())
		}
		if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
			t.Errorf("directory mode %v, want 0700", st.Mode().Perm())
		}
	}
	if files, _ := os.ReadDir(dir); len(files) != 1 {
		t.Errorf("files left beside it: %v", files)
	}
}

// A write that fails at the rename leaves what was there, and no
// temporary file.
func TestWriteThatFailsLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	os.Mkdir(path, 0o700) // a directory where the file would go: the rename fails
	os.WriteFile(filepath.Join(path, "keep"), []byte("x"), 0o600)
	if err := Write(path, []byte("new")); err == nil {
		t.Fatal("Write over a non-empty directory succeeded")
	}
	files, _ := os.ReadDir(dir)
	if len(files) != 1 || files[0].Name() != "f" {
		t.Errorf("files left: %v", files)
	}
	if b, _ := os.ReadFile(filepath.Join(path, "keep")); string(b) != "x" {
		t.Error("the directory's contents were touched")
	}
}
