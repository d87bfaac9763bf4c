package stcore_test

import (
	"errors"
	"testing"

	"github.com/ginsession/ginsession/internal/stcore"
	"github.com/ginsession/ginsession/internal/stcore/stcoretest"
)

// FuzzOpenRefreshToken feeds the refresh-token decoder arbitrary text under
// a fixed key: it must never panic, must classify every refusal as
// ErrMalformed or ErrUnauthentic, and anything it accepts must carry a
// session handle, a user id, the outer nonce and its own hash2.
func FuzzOpenRefreshToken(f *testing.F) {
	g := stcoretest.New(30, genNow)
	key := g.RefreshKey()
	for _, o := range []stcoretest.SessionOptions{{}, {Rotations: 2, AntiCSRF: true, TenantID: "t"}} {
		s := g.Session(key, o)
		f.Add(s.Refresh)
		f.Add(s.Refresh[:len(s.Refresh)/2])
	}
	f.Add("a.b.V2")
	f.Add("....")
	f.Fuzz(func(t *testing.T, tok string) {
		rt, err := stcore.OpenRefreshToken(tok, key)
		if err != nil {
			if !errors.Is(err, stcore.ErrMalformed) && !errors.Is(err, stcore.ErrUnauthentic) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if rt.Hash2 != stcore.Hash2(tok) || !stcore.LooksLikeRefreshToken(tok) {
			t.Fatalf("accepted %q as %+v", tok, rt)
		}
	})
}
