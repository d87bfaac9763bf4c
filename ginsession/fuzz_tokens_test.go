package ginsession

// Fuzz targets for tokens: refresh-token decoding (FuzzParseRefresh), the
// access-token shape check (FuzzWellFormed) and access-token verification
// through an engine (FuzzVerifyAccess). Seed corpora: testdata/fuzz/<Name>/;
// scripts/fuzz.sh runs every target of this package for $FUZZTIME.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzParseRefresh: any input is either rejected or a token that encodes
// back to exactly the input; nothing panics, and a one-character change to
// a genuine token is always rejected.
func FuzzParseRefresh(f *testing.F) {
	rk := newRefreshKeys([]byte("fuzz secret, fuzz secret, fuzz!!"))
	h, _ := newHandle()
	good, _ := rk.newRefresh(h)
	f.Add(good.String())
	f.Add(rk.child(good).String())
	f.Add("")
	f.Add(strings.Repeat("A", refreshTokenLen))
	f.Add(strings.Repeat("=", 200))
	f.Fuzz(func(t *testing.T, s string) {
		tok, ok := rk.parseRefresh(s)
		if !ok {
			return
		}
		if tok.String() != s {
			t.Fatalf("accepted %q but it encodes as %q", s, tok.String())
		}
		if tok.handle == "" || tok.generation < 0 {
			t.Fatalf("accepted token without handle/generation: %+v", tok)
		}
	})
}

func TestRefreshTokenTamperAlwaysRejected(t *testing.T) {
	rk := newRefreshKeys([]byte("another secret, another secret!!"))
	h, _ := newHandle()
	tok, _ := rk.newRefresh(h)
	s := tok.String()
	if _, ok := rk.parseRefresh(s); !ok {
		t.Fatal("genuine token rejected")
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(s); i++ {
		for _, r := range []byte{alphabet[0], alphabet[len(alphabet)-1], alphabet[30]} {
			if s[i] == r {
				continue
			}
			m := s[:i] + string(r) + s[i+1:]
			if _, ok := rk.parseRefresh(m); ok {
				// The last character carries padding bits that strict
				// decoding refuses; anything accepted must be the same bytes.
				t.Fatalf("tampered token accepted at position %d", i)
			}
		}
	}
	other := newRefreshKeys([]byte("a different secret entirely!!!!!"))
	if _, ok := other.parseRefresh(s); ok {
		t.Fatal("token accepted under another server key")
	}
	child := rk.child(tok)
	if child.handle != tok.handle || child.generation != tok.generation+1 || rk.child(tok).String() != child.String() {
		t.Fatal("child derivation is not deterministic or breaks the lineage")
	}
}

// FuzzWellFormed: the pre-parse shape check never panics and never accepts
// anything over the cap or outside the base64url alphabet.
func FuzzWellFormed(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln")
	f.Add("a.b")
	f.Add("a.b.c.d")
	f.Add(strings.Repeat(".", 10000))
	f.Add("a\x00.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		if !wellFormed(s) {
			return
		}
		if len(s) > maxTokenLen || strings.Count(s, ".") != 2 {
			t.Fatalf("accepted %q", s)
		}
		for _, part := range strings.Split(s, ".") {
			if part == "" || strings.Trim(part, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
				t.Fatalf("accepted segment %q", part)
			}
		}
	})
}

// FuzzVerifyAccess: verifyAccess, through an engine, never panics, and
// accepts a token only if an independent strict verification with our
// public key, our algorithm and our issuer accepts it too. A genuine token
// with any one character replaced, removed or inserted is always refused.
func FuzzVerifyAccess(f *testing.F) {
	e, priv := fuzzEngine(f, nil)
	ctx := context.Background()
	genuine, _, _, err := e.mintAccess(ctx, "fuzz-user", fuzzHandle, map[string]any{"role": "admin"}, time.Time{})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := e.verifyAccess(ctx, genuine); err != nil {
		f.Fatalf("genuine token refused: %v", err)
	}
	f.Add(genuine, uint16(0), uint8(0), uint8('A'))
	f.Add(genuine, uint16(len(genuine)-1), uint8(0), uint8('B'))
	f.Add(strings.TrimRight(genuine, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), uint16(10), uint8(1), uint8(0))
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", uint16(5), uint8(2), uint8('.'))
	f.Add("a.b.c", uint16(1), uint8(0), uint8('='))
	independent := func(tok string) error {
		_, err := jwt.NewParser(
			jwt.WithValidMethods([]string{"ES256"}), jwt.WithExpirationRequired(), jwt.WithIssuer(fuzzAPI+"/auth"),
			jwt.WithTimeFunc(func() time.Time { return fuzzNow }), jwt.WithStrictDecoding(),
		).Parse(tok, func(t *jwt.Token) (any, error) {
			if kid, _ := t.Header["kid"].(string); kid != fuzzKid {
				return nil, jwt.ErrTokenUnverifiable
			}
			return &priv.PublicKey, nil
		})
		return err
	}
	f.Fuzz(func(t *testing.T, tok string, pos uint16, op, c uint8) {
		if ac, err := e.verifyAccess(ctx, tok); err == nil {
			if ierr := independent(tok); ierr != nil {
				t.Fatalf("accepted %q, which strict verification with our key refuses: %v", tok, ierr)
			}
			if ac.userID == "" || ac.handle == "" || !fuzzNow.Before(ac.exp) {
				t.Fatalf("accepted %q with claims %+v", tok, ac)
			}
		}
		// One edit of a genuine token.
		i := int(pos) % (len(genuine) + 1)
		var m string
		switch op % 3 {
		case 0:
			if i == len(genuine) || genuine[i] == c {
				return
			}
			m = genuine[:i] + string([]byte{c}) + genuine[i+1:]
		case 1:
			if i == len(genuine) {
				return
			}
			m = genuine[:i] + genuine[i+1:]
		default:
			m = genuine[:i] + string([]byte{c}) + genuine[i:]
		}
		if _, err := e.verifyAccess(ctx, m); err == nil {
			t.Fatalf("edited token accepted (op %d at %d, byte %q): %q", op%3, i, c, m)
		}
	})
}
