package ginsession

import (
	"bytes"
	"encoding/json"
)

// encodeObject encodes a JSON object; nil is {}.
func encodeObject(m map[string]any) ([]byte, error) {
	if m == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(m)
}

func mustEncode(m map[string]any) []byte {
	b, _ := encodeObject(m)
	return b
}

// decodeObject decodes a stored JSON object; numbers that are integers come
// back as int64, others as float64.
func decodeObject(b []byte) map[string]any {
	out := map[string]any{}
	if len(b) == 0 {
		return out
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		return map[string]any{}
	}
	for k, v := range out {
		out[k] = normaliseNumber(v)
	}
	return out
}

// normaliseNumber turns json.Number (kept for exact parsing) into int64 or
// float64 so payload values look like what the app put in.
func normaliseNumber(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, vv := range x {
			x[k] = normaliseNumber(vv)
		}
	case []any:
		for i, vv := range x {
			x[i] = normaliseNumber(vv)
		}
	}
	return v
}
