package ginsession

import (
	"bytes"
	"encoding/json"

	"github.com/ginsession/ginsession/internal/jose"
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
		out[k] = jose.NormaliseNumber(v)
	}
	return out
}
