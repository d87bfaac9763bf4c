package dbsc

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseString: ParseString never panics, and what it accepts is
// printable ASCII and quotes back to something it reads the same.
func FuzzParseString(f *testing.F) {
	for _, s := range []string{`"abc"`, `abc`, `"a\"b";id="x"`, `a, b`, `"`, `"a\`, `abc;p="q`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, ok := ParseString(in)
		if !ok {
			return
		}
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] > 0x7e {
				t.Fatalf("ParseString(%q) = %q: not printable ASCII", in, s)
			}
		}
		again, ok := ParseString(quoteString(s))
		if !ok || again != s {
			t.Fatalf("round trip of %q: %q, %v", s, again, ok)
		}
	})
}

// FuzzParseProof: ParseProof never panics, accepts only the typ and algs
// it must, and a proof it accepts verifies with no key but its own.
func FuzzParseProof(f *testing.F) {
	br := newBrowser(f, "ES256")
	f.Add(br.registration(f, "challenge", "h"))
	f.Add(br.refresh(f, "challenge"))
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiZGJzYytqd3QifQ.eyJqdGkiOiJ4In0.")
	f.Add("a.b.c")
	f.Add("")
	other := newBrowser(f, "ES256")
	otherKey, err := ParseJWK(mustJSON(other.jwk()))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParseProof(in)
		if err != nil {
			return
		}
		if p.Alg != "ES256" && p.Alg != "RS256" {
			t.Fatalf("accepted alg %q", p.Alg)
		}
		if p.JTI == "" || strings.Count(in, ".") != 2 {
			t.Fatalf("accepted %q", in)
		}
		if otherKey.Verify(p) == nil {
			t.Fatalf("a fuzzed proof verifies with an unrelated key: %q", in)
		}
		if p.JWK != nil {
			_, _ = ParseJWK(p.JWK)
		}
	})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
