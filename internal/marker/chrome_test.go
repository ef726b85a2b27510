package marker

import (
	"os"
	"testing"

	"github.com/clilogin/clilogin/internal/chrome/chrometest"
)

// One Chrome for the package's tests that hold the marker against the
// browser (its JS, the selector lists), as internal/browser's tests have.
var devtools string // http://127.0.0.1:PORT of the shared browser

func TestMain(m *testing.M) { os.Exit(chrometest.Main(m, &devtools)) }

func needBrowser(t *testing.T) { t.Helper(); chrometest.Need(t, devtools) }
