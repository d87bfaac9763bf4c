package stcore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ginsession/ginsession/internal/stcore"
	"github.com/ginsession/ginsession/internal/stcore/stcoretest"
)

// FuzzVerifyAccessToken feeds the access-token verifier arbitrary text under
// a fixed key and clock: it must never panic, every refusal must be one of
// the package's errors, and it may accept only the genuine tokens of its
// seeds (anything else accepted would be a forgery under RS256).
func FuzzVerifyAccessToken(f *testing.F) {
	g := stcoretest.New(40, genNow)
	k := g.DynamicKey(0, genNow)
	s := g.Session(g.RefreshKey(), stcoretest.SessionOptions{Rotations: 1, AntiCSRF: true})
	genuine := map[string]bool{}
	for v := 1; v <= 5; v++ {
		tok := g.AccessToken(v, k, s, genNow, genNow.Add(time.Hour))
		genuine[tok] = true
		f.Add(tok)
	}
	f.Add("a.b.c")
	kp, err := stcore.ParseKeyPair(k.KeyString)
	if err != nil {
		f.Fatal(err)
	}
	keys := []stcore.VerifyKey{{ID: k.ID, Public: kp.Public}}
	f.Fuzz(func(t *testing.T, tok string) {
		at, err := stcore.VerifyAccessToken(tok, keys, genNow)
		if err != nil {
			if !errors.Is(err, stcore.ErrMalformed) && !errors.Is(err, stcore.ErrUnauthentic) &&
				!errors.Is(err, stcore.ErrUnknownKey) && !errors.Is(err, stcore.ErrExpired) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if !genuine[tok] {
			t.Fatalf("accepted a token the key never signed: %q as %+v", tok, at)
		}
	})
}
