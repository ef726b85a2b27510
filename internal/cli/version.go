package cli

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at build time by the release build (see .goreleaser.yaml):
//
//	-ldflags "-X github.com/clilogin/clilogin/internal/cli.Version=v1.2.3
//	          -X …/cli.Commit=abc1234 -X …/cli.Date=2026-11-23T10:00:00Z"
//
// Without them, the module version and the VCS stamp of the build are used.
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// version is what `clilogin version` prints after the program's name:
// "v1.2.3 (commit abc1234, built 2026-11-23T10:00:00Z, linux/amd64)".
func version() string {
	v, commit, date, dirty := Version, Commit, Date, false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if commit == "" {
					commit = s.Value
				}
			case "vcs.time":
				if date == "" {
					date = s.Value
				}
			case "vcs.modified":
				dirty = s.Value == "true" && Commit == ""
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	var parts []string
	if commit != "" {
		if len(commit) > 12 {
			commit = commit[:12]
		}
		if dirty {
			commit += "+dirty"
		}
		parts = append(parts, "commit "+commit)
	}
	if date != "" {
		parts = append(parts, "built "+date)
	}
	parts = append(parts, runtime.GOOS+"/"+runtime.GOARCH)
	return v + " (" + strings.Join(parts, ", ") + ")"
}
