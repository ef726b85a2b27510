package failure

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestKindOfIsTheOutermostKind(t *testing.T) {
	inner := New(Timeout, "raise --timeout", "timed out")
	outer := Wrap(Refused, "", fmt.Errorf("login: %w", inner))
	for _, tt := range []struct {
		err  error
		want Kind
	}{
		{nil, Internal},
		{errors.New("plain"), Internal},
		{inner, Timeout},
		{fmt.Errorf("wrapped: %w", inner), Timeout},
		{outer, Refused},
	} {
		if got := KindOf(tt.err); got != tt.want {
			t.Errorf("KindOf(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestHintOfIsTheFirstHintInTheChain(t *testing.T) {
	inner := New(Timeout, "raise --timeout", "timed out")
	if h := HintOf(Wrap(Refused, "", fmt.Errorf("login: %w", inner))); h != "raise --timeout" {
		t.Errorf("an outer error without a hint: HintOf = %q, want the inner one's", h)
	}
	if h := HintOf(Wrap(Refused, "log in again", inner)); h != "log in again" {
		t.Errorf("HintOf = %q, want the outer hint", h)
	}
	if h := HintOf(errors.New("plain")); h != "" {
		t.Errorf("HintOf(plain) = %q", h)
	}
}

func TestNewWrapsWithW(t *testing.T) {
	err := New(Unreachable, "", "cannot read %s: %w", "x", fs.ErrNotExist)
	if !errors.Is(err, fs.ErrNotExist) || err.Error() != "cannot read x: file does not exist" {
		t.Errorf("New = %q, is ErrNotExist %v", err, errors.Is(err, fs.ErrNotExist))
	}
	if Wrap(Usage, "h", nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
	if w := Wrap(Usage, "h", fs.ErrExist); w.Error() != fs.ErrExist.Error() || !errors.Is(w, fs.ErrExist) {
		t.Errorf("Wrap changed the message or the chain: %q", w)
	}
}

// The names are the "kind" of -o json's error object: documented, stable.
func TestKindNames(t *testing.T) {
	want := map[Kind]string{Internal: "internal", Usage: "usage", Timeout: "timeout", Refused: "refused",
		Unreachable: "unreachable", Browser: "browser", Interrupted: "interrupted"}
	for k, name := range want {
		if k.String() != name {
			t.Errorf("%d.String() = %q, want %q", int(k), k.String(), name)
		}
	}
	if Kind(99).String() != "internal" {
		t.Errorf("an unknown kind is %q, want internal", Kind(99).String())
	}
}
