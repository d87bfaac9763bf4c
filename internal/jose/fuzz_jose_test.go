package jose

// Fuzz targets for the JOSE text checks: the shape check of a compact JWS
// (FuzzWellFormed) and the JSON object checks (FuzzJOSEObject). Seed
// corpora: testdata/fuzz/<Name>/; scripts/fuzz.sh runs every target.

import (
	"strings"
	"testing"
)

// FuzzWellFormed: the pre-parse shape check never panics and never accepts
// anything over the cap or outside the base64url alphabet.
func FuzzWellFormed(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln")
	f.Add("a.b")
	f.Add("a.b.c.d")
	f.Add(strings.Repeat(".", 10000))
	f.Add("a\x00.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		if !WellFormed(s) {
			return
		}
		if len(s) > MaxTokenLen || strings.Count(s, ".") != 2 {
			t.Fatalf("accepted %q", s)
		}
		for _, part := range strings.Split(s, ".") {
			if part == "" || strings.Trim(part, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
				t.Fatalf("accepted segment %q", part)
			}
		}
	})
}

// FuzzJOSEObject: where the quick scan is sure, it agrees with the token
// walk on every text whose first value is valid JSON (what golang-jwt
// guarantees before either runs).
func FuzzJOSEObject(f *testing.F) {
	for _, tc := range joseObjectCases {
		f.Add([]byte(tc.text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		w := joseWalker{}
		werr := w.object(data)
		if werr != nil && werr != ErrDuplicate && werr != ErrTrailing {
			return // not valid JSON: golang-jwt refuses it before us
		}
		sure, qerr := quickObject(data)
		if sure && (qerr == nil) != (werr == nil) {
			t.Fatalf("%q: walker %v, quick scan %v", data, werr, qerr)
		}
	})
}
