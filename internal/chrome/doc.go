// Package chrome gets a local browser for a login: it finds Chrome (or
// Chromium, Edge, Brave, the headless shell) on Linux, macOS, Windows and
// WSL, makes its processes end with clilogin's (a process group, or a job
// object on Windows), and looks after the profile it runs on: the lock that
// keeps one login per profile, the preferences that keep Chrome's password
// manager quiet, and the profile's removal. It knows nothing of logins,
// backends or identity providers; internal/browser drives the Chrome it
// starts.
package chrome
