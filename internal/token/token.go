// Package token reads what clilogin needs from a token: its expiry. The
// token's signature is not checked here, so the expiry is used for timing
// only, never to trust the token.
package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrNotJWT means the token is not a JSON Web Token in compact form.
var ErrNotJWT = errors.New("token: not a JWT")

// MaxExpiry is the latest expiry Expiry returns: the last second of year
// 9999, the last a cache file (RFC 3339) can hold. A token whose exp is later
// (2^40 seconds is in year 36812) does not expire in practice.
var MaxExpiry = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

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
	f, err := strconv.ParseFloat(string(*claims.Exp), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) || math.IsNaN(f) || f < 0 {
		return time.Time{}, false, ErrNotJWT
	}
	if f > float64(MaxExpiry.Unix()) { // 1e400 is +Inf with ErrRange
		return MaxExpiry, true, nil
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
}
