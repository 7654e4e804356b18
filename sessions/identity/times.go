package identity

import (
	"math"
	"time"
)

// checkTimes validates exp and nbf (iat is not checked, no leeway). An
// expired token is errExpired even when another claim is also wrong, as
// golang-jwt joins the errors and anycable-go tests for "expired" first.
func checkTimes(claims map[string]any, now time.Time) error {
	var invalid bool
	exp, present, ok := numericDate(claims, "exp")
	switch {
	case !ok:
		invalid = true
	case present && !now.Before(exp):
		return errExpired
	}
	nbf, present, ok := numericDate(claims, "nbf")
	if !ok || (present && now.Before(nbf)) {
		invalid = true
	}
	if invalid {
		return errInvalid
	}
	return nil
}

// numericDate reads a NumericDate claim. Absent or 0 means "not set"; a
// value that is not a JSON number is malformed (ok=false). Fractions are
// truncated to whole seconds, as golang-jwt does.
func numericDate(claims map[string]any, key string) (t time.Time, present, ok bool) {
	v, found := claims[key]
	if !found {
		return time.Time{}, false, true
	}
	f, isNum := v.(float64)
	if !isNum {
		return time.Time{}, false, false
	}
	if f == 0 {
		return time.Time{}, false, true
	}
	// Keep the conversion to int64 defined for absurd values.
	const limit = 1 << 62
	switch {
	case f > limit:
		f = limit
	case f < -limit:
		f = -limit
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).Truncate(time.Second), true, true
}
