package browser

import (
	"github.com/clilogin/clilogin/internal/failure"
)

// panicError turns a recovered panic (of chromedp, or of a library under
// it) into a failure: the login ends as on any other error, the browser and
// any remote session closed.
func panicError(r any) error {
	return failure.New(failure.Internal, "", "the browser library failed unexpectedly: %v", r)
}

// recovered runs f and turns a panic in it into an error.
func recovered(f func() (*Result, error)) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, panicError(r)
		}
	}()
	return f()
}
