// Package token reads what clilogin needs from a token: its expiry. The
// token's signature is not checked here, so the expiry is used for timing
// only, never to trust the token.
package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"
)

// ErrNotJWT means the token is not a JSON Web Token in compact form.
var ErrNotJWT = errors.New("token: not a JWT")

// Expiry returns the time in the JWT's "exp" claim. ok is false when the
// token is a JWT without an "exp" claim. err is ErrNotJWT when the token is
// not a JWT at all.
func Expiry(raw string) (exp time.Time, ok bool, err error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return time.Time{}, false, ErrNotJWT
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false, ErrNotJWT
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return time.Time{}, false, ErrNotJWT
	}
	if claims.Exp == nil {
		return time.Time{}, false, nil
	}
	f, err := claims.Exp.Float64()
	if err != nil || math.IsNaN(f) || f < 0 || f > 1<<40 {
		return time.Time{}, false, ErrNotJWT
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
}
