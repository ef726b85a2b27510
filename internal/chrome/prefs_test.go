package chrome

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestQuietProfileTurnsThePasswordManagerOffAndKeepsTheRest(t *testing.T) {
	for _, tt := range []struct{ name, existing string }{
		{"new profile", ""},
		{"Chrome's own file", `{"browser":{"window_placement":{"top":10}},"profile":{"name":"Person 1","password_manager_enabled":true},"credentials_enable_service":true}`},
		{"unreadable file", `{not json`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			profile := t.TempDir()
			path := filepath.Join(profile, "Default", "Preferences")
			if tt.existing != "" {
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(tt.existing), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := QuietProfile(profile); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Credentials *bool `json:"credentials_enable_service"`
				Profile     struct {
					Name            string `json:"name"`
					PasswordManager *bool  `json:"password_manager_enabled"`
				} `json:"profile"`
				Browser map[string]any `json:"browser"`
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, b)
			}
			if got.Credentials == nil || *got.Credentials || got.Profile.PasswordManager == nil || *got.Profile.PasswordManager {
				t.Errorf("password manager not off: %s", b)
			}
			if tt.name == "Chrome's own file" && (got.Profile.Name != "Person 1" || got.Browser["window_placement"] == nil) {
				t.Errorf("Chrome's other preferences were lost: %s", b)
			}
			if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("mode: %v %v", st.Mode(), err)
			}
		})
	}
}
