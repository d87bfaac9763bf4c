package ginsession

// Fuzz targets for access tokens: the shape check (FuzzWellFormed) and
// verification through an engine (FuzzVerifyAccess). Seed corpora: testdata/fuzz/<Name>/;
// scripts/fuzz.sh runs every target of this package for $FUZZTIME.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
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
