package jose

import (
	"encoding/json"
	"errors"
	"math"
)

// CheckIssuedAt refuses an iat that is not a sane NumericDate: not a
// finite number, negative, or after exp. golang-jwt converts iat to a time
// through an int64 conversion whose result for 1e300 or 1e400 (+Inf: it
// ignores the range error) depends on the platform, often the far past,
// which the "issued in the future" check lets through.
func CheckIssuedAt(iat, exp any) error {
	i, ok := numericDate(iat)
	if !ok {
		return errors.New("iat is not a finite number")
	}
	if i < 0 {
		return errors.New("iat is negative")
	}
	e, ok := numericDate(exp)
	if !ok {
		return errors.New("exp is not a finite number")
	}
	if i > e {
		return errors.New("iat is after exp")
	}
	return nil
}

// numericDate reads a claim decoded with UseNumber as a finite float64.
func numericDate(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil {
			return 0, false
		}
	case float64:
		f = x
	default:
		return 0, false
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}
