package jose

import "encoding/json"

// NormaliseNumber turns the json.Number values of a claim decoded with
// UseNumber (kept for exact parsing) into int64 or float64, at any depth,
// so payload values look like what the app put in. Maps and slices are
// changed in place.
func NormaliseNumber(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, vv := range x {
			x[k] = NormaliseNumber(vv)
		}
	case []any:
		for i, vv := range x {
			x[i] = NormaliseNumber(vv)
		}
	}
	return v
}
