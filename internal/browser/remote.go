package browser

import (
	"context"
	"errors"

	"github.com/clilogin/clilogin/internal/failure"
)

// remoteGone says whether a probe that got no answer means that the remote
// browser of a WebDriver session is gone: its Grid keeps the DevTools
// WebSocket open, so only the session can tell.
func (s *loginRun) remoteGone(ctx context.Context, probeErr error) error {
	if s.remote == nil || ctx.Err() != nil || !errors.Is(probeErr, context.DeadlineExceeded) {
		return nil
	}
	if err := s.remote.Alive(ctx); err != nil {
		return failure.New(failure.Browser, "the remote browser crashed or was stopped; run clilogin login again",
			"the remote browser's session ended during the login: %v", err)
	}
	return nil
}
