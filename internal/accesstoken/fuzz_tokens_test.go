package accesstoken

// Fuzz targets for access tokens: verification (FuzzVerifyAccess). Seed
// corpus: testdata/fuzz/FuzzVerifyAccess/ (seed-genuine is a genuine token
// of the fixed key under the frozen clock, see harness_test.go);
// scripts/fuzz.sh runs every target for $FUZZTIME.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerifyAccess: Verify never panics, and
// accepts a token only if an independent strict verification with our
// public key, our algorithm and our issuer accepts it too. A genuine token
// with any one character replaced, removed or inserted is always refused.
func FuzzVerifyAccess(f *testing.F) {
	tk, priv := fuzzTokens(f)
	ctx := context.Background()
	genuine, _, _, err := tk.Mint(ctx, "fuzz-user", fuzzHandle, map[string]any{"role": "admin"}, time.Time{})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := tk.Verify(ctx, genuine, fuzzNow); err != nil {
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
		if ac, err := tk.Verify(ctx, tok, fuzzNow); err == nil {
			if ierr := independent(tok); ierr != nil {
				t.Fatalf("accepted %q, which strict verification with our key refuses: %v", tok, ierr)
			}
			if ac.UserID == "" || ac.Handle == "" || !fuzzNow.Before(ac.Expires) {
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
		if _, err := tk.Verify(ctx, m, fuzzNow); err == nil {
			t.Fatalf("edited token accepted (op %d at %d, byte %q): %q", op%3, i, c, m)
		}
	})
}
