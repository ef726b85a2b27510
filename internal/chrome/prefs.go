package chrome

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/clilogin/clilogin/internal/atomicfile"
)

// maxPrefs is the largest Preferences file read; Chrome's are tens of kB.
const maxPrefs = 4 << 20

// QuietProfile turns Chrome's password manager off in the profile's
// Preferences before Chrome starts, as chromedriver's "prefs" do: no "Save
// password?" bubble covers the identity provider's page, and no password
// typed there is kept in the profile. The rest of the file is kept as
// Chrome wrote it.
func QuietProfile(profile string) error {
	path := filepath.Join(profile, "Default", "Preferences")
	prefs := map[string]any{}
	f, err := os.Open(path)
	switch {
	case err == nil:
		b, rerr := io.ReadAll(io.LimitReader(f, maxPrefs+1))
		f.Close()
		if rerr != nil {
			return fmt.Errorf("browser preferences: %w", rerr)
		}
		if len(b) > maxPrefs || json.Unmarshal(b, &prefs) != nil {
			prefs = map[string]any{} // Chrome rebuilds what it cannot read
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("browser preferences: %w", err)
	}
	profileSection, _ := prefs["profile"].(map[string]any)
	if profileSection == nil {
		profileSection = map[string]any{}
	}
	if prefs["credentials_enable_service"] == false && profileSection["password_manager_enabled"] == false {
		return nil // already quiet: leave Chrome's file alone
	}
	prefs["credentials_enable_service"] = false
	profileSection["password_manager_enabled"] = false
	prefs["profile"] = profileSection
	b, err := json.Marshal(prefs)
	if err != nil {
		return fmt.Errorf("browser preferences: %w", err)
	}
	if err := atomicfile.Write(path, b); err != nil {
		return fmt.Errorf("browser preferences: %w", err)
	}
	return nil
}
