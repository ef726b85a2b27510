// Package failure classifies errors by what went wrong, so that the command
// line can choose the exit code and the hint in one place.
package failure

import (
	"errors"
	"fmt"
)

// Kind says what kind of thing went wrong.
type Kind int

// The kinds, one per documented exit code.
const (
	Internal    Kind = iota // a bug or an unexpected condition
	Usage                   // bad flag, bad URL, missing input
	Timeout                 // the login did not finish in time
	Refused                 // the IdP or the backend said no
	Unreachable             // backend or IdP down, broken or off-contract
	Browser                 // the browser could not start, crashed or was closed
	Interrupted             // Ctrl-C or SIGTERM
)

// String names the kind for machines: "timeout", "refused", ….
func (k Kind) String() string {
	switch k {
	case Usage:
		return "usage"
	case Timeout:
		return "timeout"
	case Refused:
		return "refused"
	case Unreachable:
		return "unreachable"
	case Browser:
		return "browser"
	case Interrupted:
		return "interrupted"
	}
	return "internal"
}

// Error is an error with a kind and an optional hint for the person.
type Error struct {
	Kind Kind
	Err  error
	Hint string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// New returns an error of the kind with a formatted message (which may wrap
// with %w) and a hint, which may be empty.
func New(kind Kind, hint, format string, args ...any) error {
	return &Error{Kind: kind, Err: fmt.Errorf(format, args...), Hint: hint}
}

// Wrap gives err a kind and a hint, keeping its message.
func Wrap(kind Kind, hint string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: kind, Err: err, Hint: hint}
}

// KindOf returns the kind of the outermost classified error in err's chain,
// or Internal when there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// HintOf returns the first hint found in err's chain.
func HintOf(err error) string {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return ""
		}
		if e.Hint != "" {
			return e.Hint
		}
		err = e.Err
	}
	return ""
}
