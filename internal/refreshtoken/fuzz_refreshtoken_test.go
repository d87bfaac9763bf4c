package refreshtoken

// Fuzz target for refresh-token decoding. Seed corpus:
// testdata/fuzz/FuzzParseRefresh/; scripts/fuzz.sh runs it.

import (
	"strings"
	"testing"

	"github.com/ginsession/ginsession/internal/sessionhandle"
)

// FuzzParseRefresh: any input is either rejected or a token that encodes
// back to exactly the input; nothing panics.
func FuzzParseRefresh(f *testing.F) {
	k := NewKeys([]byte("fuzz secret, fuzz secret, fuzz!!"))
	h, _ := sessionhandle.New()
	good, _ := k.New(h)
	f.Add(good.String())
	f.Add(k.Child(good).String())
	f.Add("")
	f.Add(strings.Repeat("A", Len))
	f.Add(strings.Repeat("=", 200))
	f.Fuzz(func(t *testing.T, s string) {
		tok, ok := k.Parse(s)
		if !ok {
			return
		}
		if tok.String() != s {
			t.Fatalf("accepted %q but it encodes as %q", s, tok.String())
		}
		if tok.Handle == "" || tok.Generation < 0 {
			t.Fatalf("accepted token without handle/generation: %+v", tok)
		}
	})
}
