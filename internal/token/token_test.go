package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// jwt builds a compact JWT with the payload; the signature is not valid.
func jwt(payload string) string {
	return b64(`{"alg":"RS256","typ":"JWT"}`) + "." + b64(payload) + "." + b64("not a signature")
}

func TestExpiryReadsTheExpClaim(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want time.Time
	}{
		{"integer exp", jwt(`{"sub":"alice","exp":1893456000}`), time.Unix(1893456000, 0)},
		{"fractional exp", jwt(`{"exp":1893456000.5}`), time.Unix(1893456000, 500_000_000)},
		{"exponent notation", jwt(`{"exp":1.8934560e9}`), time.Unix(1893456000, 0)},
		{"exp zero is the epoch", jwt(`{"exp":0}`), time.Unix(0, 0)},
		{"the last second of year 9999", jwt(`{"exp":253402300799}`), MaxExpiry},
		{"padded payload", b64("h") + "." + base64.URLEncoding.EncodeToString([]byte(`{"exp":1893456000}`)) + ".sig", time.Unix(1893456000, 0)},
		{"empty header and signature", "." + b64(`{"exp":1893456000}`) + ".", time.Unix(1893456000, 0)},
		{"other claims do not matter", jwt(`{"iat":1,"nbf":2,"exp":1893456000,"aud":["a","b"]}`), time.Unix(1893456000, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := Expiry(tt.raw)
			if err != nil || !ok {
				t.Fatalf("Expiry = %v, %v, %v; want %v, true, nil", got, ok, err, tt.want)
			}
			if !got.Equal(tt.want) {
				t.Errorf("Expiry = %v, want %v", got, tt.want)
			}
			if got.Location() != time.UTC {
				t.Errorf("Expiry location = %v, want UTC", got.Location())
			}
		})
	}
}

func TestExpiryOfAJWTWithoutExpIsNotAnError(t *testing.T) {
	for _, payload := range []string{`{}`, `{"sub":"alice"}`, `{"exp":null}`} {
		t.Run(payload, func(t *testing.T) {
			got, ok, err := Expiry(jwt(payload))
			if err != nil || ok || !got.IsZero() {
				t.Errorf("Expiry(payload %s) = %v, %v, %v; want zero, false, nil", payload, got, ok, err)
			}
		})
	}
}

func TestExpiryRejectsWhatIsNotAJWT(t *testing.T) {
	tests := []struct {
		name string
		raw  string
	}{
		{"empty", ""},
		{"opaque token", "8f14e45fceea167a5a36dedd4bea2543"},
		{"two parts", b64(`{}`) + "." + b64(`{"exp":1}`)},
		{"four parts", jwt(`{"exp":1}`) + ".x"},
		{"JWE has five parts", "a.b.c.d.e"},
		{"payload not base64url", "h.{\"exp\":1}.s"},
		{"payload standard base64 with slash", "h." + base64.RawStdEncoding.EncodeToString([]byte(`{"exp":1893456000,"x":"??>"}`)) + ".s"},
		{"payload not JSON", "h." + b64("exp=1") + ".s"},
		{"payload a JSON array", "h." + b64(`[1]`) + ".s"},
		{"exp not a number", jwt(`{"exp":"soon"}`)},
		{"exp a boolean", jwt(`{"exp":true}`)},
		{"exp an object", jwt(`{"exp":{"t":1}}`)},
		{"negative exp", jwt(`{"exp":-1}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := Expiry(tt.raw)
			if !errors.Is(err, ErrNotJWT) {
				t.Errorf("Expiry(%q) error = %v, want ErrNotJWT", tt.raw, err)
			}
			if ok || !got.IsZero() {
				t.Errorf("Expiry(%q) = %v, %v; want zero, false", tt.raw, got, ok)
			}
		})
	}
}

// An exp after year 9999 (2^40 seconds is in year 36812) means "does not
// expire" in practice: it is clamped to the end of year 9999, which the cache
// can store, instead of making every save fail and every run sign in again.
func TestAnAbsurdExpIsClampedSoTheCacheCanStoreIt(t *testing.T) {
	for _, exp := range []string{"1099511627776", "1099511627777", "253402300800", "1e400", "1e18"} {
		got, ok, err := Expiry(jwt(`{"exp":` + exp + `}`))
		if err != nil || !ok || !got.Equal(MaxExpiry) {
			t.Errorf("Expiry(exp %s) = %v, %v, %v; want %v", exp, got, ok, err, MaxExpiry)
			continue
		}
		if _, err := json.Marshal(got); err != nil {
			t.Errorf("Expiry(exp %s) = %v, which cannot be cached: %v", exp, got, err)
		}
	}
}

// FuzzExpiry checks that Expiry never panics and that its three results
// agree with each other whatever the input.
func FuzzExpiry(f *testing.F) {
	f.Add(jwt(`{"exp":1893456000}`))
	f.Add(jwt(`{"exp":1893456000.123456789}`))
	f.Add(jwt(`{"exp":null}`))
	f.Add(jwt(`{"exp":-0}`))
	f.Add(jwt(`{"exp":1e400}`))
	f.Add(jwt(`{"exp":"123"}`))
	f.Add(jwt(`null`))
	f.Add("a.b.c")
	f.Add("..")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		exp, ok, err := Expiry(raw)
		switch {
		case err != nil:
			if !errors.Is(err, ErrNotJWT) || ok || !exp.IsZero() {
				t.Fatalf("Expiry(%q) = %v, %v, %v", raw, exp, ok, err)
			}
			return
		case !ok:
			if !exp.IsZero() {
				t.Fatalf("Expiry(%q) = %v, false, nil; want a zero time", raw, exp)
			}
		default:
			if exp.Location() != time.UTC || exp.Before(time.Unix(0, 0)) || exp.After(MaxExpiry) {
				t.Fatalf("Expiry(%q) = %v, out of range", raw, exp)
			}
			if _, err := json.Marshal(exp); err != nil {
				t.Fatalf("Expiry(%q) = %v, which the cache cannot store: %v", raw, exp, err)
			}
		}
		if strings.Count(raw, ".") != 2 {
			t.Fatalf("Expiry(%q) accepted a token without exactly three parts", raw)
		}
	})
}

// FuzzExpiryOfBuiltJWT checks that for a JWT whose exp is any number in the
// accepted range, written in any usual form, Expiry returns that time.
func FuzzExpiryOfBuiltJWT(f *testing.F) {
	f.Add(int64(1893456000), uint16(0), uint8(0), "hdr", "sig")
	f.Add(int64(0), uint16(1), uint8(1), "", "")
	f.Add(int64(1<<40), uint16(0), uint8(2), "{}", "...")
	f.Add(int64(253402300799), uint16(500), uint8(1), "", "")
	f.Add(int64(-1), uint16(999), uint8(3), "x", "y")
	f.Add(int64(1<<40-1), uint16(999), uint8(1), "", "z")
	f.Fuzz(func(t *testing.T, sec int64, millis uint16, form uint8, header, sig string) {
		if sec < 0 {
			sec = -(sec + 1)
		}
		sec %= MaxExpiry.Unix() + 1
		millis %= 1000
		var num string
		want := time.Unix(sec, int64(millis)*1e6)
		tolerance := time.Duration(0)
		switch form % 4 {
		case 0:
			num = strconv.FormatInt(sec, 10)
			want = time.Unix(sec, 0)
		case 1:
			num = strconv.FormatInt(sec, 10) + "." + strconv.Itoa(1000 + int(millis))[1:]
			tolerance = time.Millisecond // a float64 has about 16 digits
		case 2:
			num = strconv.FormatFloat(float64(sec), 'e', -1, 64)
			want = time.Unix(sec, 0)
		case 3:
			num = strconv.FormatInt(sec, 10) + ".0"
			want = time.Unix(sec, 0)
		}
		if want.After(MaxExpiry) {
			want, tolerance = MaxExpiry, 0 // clamped
		}
		payload := b64(`{"iss":"https://idp.test","exp":` + num + `,"sub":"x"}`)
		if form&4 != 0 {
			payload = base64.URLEncoding.EncodeToString([]byte(`{"exp":` + num + `}`))
		}
		raw := b64(header) + "." + payload + "." + b64(sig)
		got, ok, err := Expiry(raw)
		if err != nil || !ok {
			t.Fatalf("Expiry(exp %s) = %v, %v, %v; want %v", num, got, ok, err, want.UTC())
		}
		if d := got.Sub(want); d < -tolerance || d > tolerance {
			t.Fatalf("Expiry(exp %s) = %v, want %v (±%v)", num, got, want.UTC(), tolerance)
		}
		if got.Location() != time.UTC {
			t.Fatalf("Expiry(exp %s) location = %v, want UTC", num, got.Location())
		}
	})
}
