package browser

import (
	"strings"
	"testing"

	"github.com/clilogin/clilogin/internal/backend"
)

// A page that could not be loaded is named by its host; a URL Go cannot
// parse (Chrome keeps bad escapes) is not shown at all, so that its query's
// code or token does not reach the error.
func TestUnreachableNamesNoSecretOfTheURL(t *testing.T) {
	s := &loginRun{cfg: Config{Backend: backend.MustParse("https://api.example.com")}}
	for _, u := range []string{"https://api.example.com/cb%zz?code=SECRET", "https://idp.example.com/auth?code=SECRET"} {
		err := s.unreachable(u, "net::ERR_CONNECTION_REFUSED")
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("unreachable(%q) = %q", u, err)
		}
	}
}
