package stcore_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ginsession/ginsession/internal/stcore"
	"github.com/ginsession/ginsession/internal/stcore/stcoretest"
)

var genNow = time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)

func TestRefreshTokenOpensGeneratedSessions(t *testing.T) {
	g := stcoretest.New(1, genNow)
	key := g.RefreshKey()
	for _, o := range []stcoretest.SessionOptions{
		{},
		{AntiCSRF: true},
		{TenantID: "tenant1", Rotations: 1},
		{Rotations: 3, AntiCSRF: true, UserID: "ünï-user"},
	} {
		s := g.Session(key, o)
		rt, err := stcore.OpenRefreshToken(s.Refresh, key)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		wantTenant := "public"
		if o.TenantID != "" {
			wantTenant = o.TenantID
		}
		if rt.SessionHandle != s.Handle || rt.UserID != s.UserID || rt.TenantID != wantTenant ||
			rt.AntiCSRFToken != s.AntiCSRF || rt.Hash2 != stcore.Hash2(s.Refresh) {
			t.Fatalf("%+v: opened %+v for %+v", o, rt, s)
		}
		wantStanding := stcore.Current
		if o.Rotations > 0 {
			wantStanding = stcore.UnpromotedChild
			if rt.ParentHash1 != stcore.Hash1(s.Parent) {
				t.Fatalf("%+v: parent hash1 %q", o, rt.ParentHash1)
			}
		} else if rt.ParentHash1 != "" {
			t.Fatalf("first token has a parent %q", rt.ParentHash1)
		}
		if got := rt.Against(s.Hash2); got != wantStanding {
			t.Fatalf("%+v: standing %v, want %v", o, got, wantStanding)
		}
		if got := rt.RowHash2s(); got[0] != rt.Hash2 || (o.Rotations > 0) != (len(got) == 2) {
			t.Fatalf("%+v: row hash2s %v", o, got)
		}
		for _, old := range s.Stale {
			ot, err := stcore.OpenRefreshToken(old, key)
			if err != nil {
				t.Fatal(err)
			}
			if got := ot.Against(s.Hash2); got != stcore.Stale {
				t.Fatalf("%+v: a rotated-away token stands %v, want stale", o, got)
			}
		}
		if o.Rotations > 0 {
			pt, err := stcore.OpenRefreshToken(s.Parent, key)
			if err != nil {
				t.Fatal(err)
			}
			if got := pt.Against(s.Hash2); got != stcore.Current {
				t.Fatalf("the promoted parent stands %v, want current", got)
			}
		}
	}
}

func TestRefreshTokenRefusesWhatTheCoreRefuses(t *testing.T) {
	g := stcoretest.New(2, genNow)
	key := g.RefreshKey()
	s := g.Session(key, stcoretest.SessionOptions{AntiCSRF: true})
	tok := s.Refresh
	parts := strings.Split(tok, ".")
	sealed, _ := base64.StdEncoding.DecodeString(parts[0])
	flip := func(i int) string {
		b := append([]byte(nil), sealed...)
		b[i] ^= 1
		return base64.StdEncoding.EncodeToString(b) + "." + parts[1] + "." + parts[2]
	}
	seal := func(p stcoretest.RefreshPayload) string { return stcoretest.SealRefreshToken(key, p, g.Bytes(12)) }
	for _, c := range []struct {
		name, token, key string
		want             error
	}{
		{"WrongKey", tok, g.RefreshKey(), stcore.ErrUnauthentic},
		{"EmptyKey", tok, "", nil},
		{"FlippedIV", flip(0), key, stcore.ErrUnauthentic},
		{"FlippedCiphertext", flip(20), key, stcore.ErrUnauthentic},
		{"FlippedTag", flip(len(sealed) - 1), key, stcore.ErrUnauthentic},
		{"Truncated", base64.StdEncoding.EncodeToString(sealed[:len(sealed)-1]) + "." + parts[1] + ".V2", key, stcore.ErrUnauthentic},
		{"TooShort", base64.StdEncoding.EncodeToString(sealed[:27]) + "." + parts[1] + ".V2", key, stcore.ErrMalformed},
		{"OtherNonce", parts[0] + "." + strings.Repeat("0", 64) + ".V2", key, stcore.ErrUnauthentic},
		{"TypeV0", parts[0] + "." + parts[1] + ".V0", key, stcore.ErrMalformed},
		{"TwoParts", parts[0] + "." + parts[1], key, stcore.ErrMalformed},
		{"FourParts", tok + ".V2", key, stcore.ErrMalformed},
		{"NotBase64", "@@@." + parts[1] + ".V2", key, stcore.ErrMalformed},
		{"URLBase64", strings.NewReplacer("+", "-", "/", "_").Replace(parts[0]) + "." + parts[1] + ".V2", key, stcore.ErrMalformed},
		{"NoSessionHandle", seal(stcoretest.RefreshPayload{UserID: "u", Nonce: "n"}), key, nil},
		{"Huge", strings.Repeat("A", 5000) + ".n.V2", key, stcore.ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := stcore.OpenRefreshToken(c.token, c.key)
			if err == nil {
				t.Fatal("accepted")
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
		})
	}
	// A payload without a session handle decrypts but is refused as the core refuses it.
	_, err := stcore.OpenRefreshToken(stcoretest.SealRefreshToken(key, stcoretest.RefreshPayload{UserID: "u", Nonce: "n"}, g.Bytes(12)), key)
	if !errors.Is(err, stcore.ErrUnauthentic) || !strings.Contains(err.Error(), "sessionHandle") {
		t.Fatalf("no session handle: %v", err)
	}
	// The type is compared without case, as the core does.
	if _, err := stcore.OpenRefreshToken(parts[0]+"."+parts[1]+".v2", key); err != nil {
		t.Fatalf("lower-case type: %v", err)
	}
}

func TestRefreshTokenStandingAgainstRows(t *testing.T) {
	rt := &stcore.RefreshToken{Hash2: "h2", ParentHash1: "p1"}
	for _, c := range []struct {
		row  string
		want stcore.Standing
	}{
		{"h2", stcore.Current},
		{stcore.Hash2OfHash1("p1"), stcore.UnpromotedChild},
		{"p1", stcore.Stale},
		{"", stcore.Stale},
		{"other", stcore.Stale},
	} {
		if got := rt.Against(c.row); got != c.want {
			t.Errorf("against %q: %v, want %v", c.row, got, c.want)
		}
	}
	orphan := &stcore.RefreshToken{Hash2: "h2"}
	if got := orphan.Against(stcore.Hash2OfHash1("")); got != stcore.Stale {
		t.Fatalf("a first token against the hash of nothing: %v", got)
	}
}

func TestHashesAreTheCoreHexChain(t *testing.T) {
	// sha256("abc") and sha256 of its hex text, written out.
	const h1 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if stcore.Hash1("abc") != h1 {
		t.Fatal(stcore.Hash1("abc"))
	}
	if stcore.Hash2("abc") != stcore.Hash2OfHash1(h1) || len(stcore.Hash2("abc")) != 64 || stcore.Hash2("abc") == h1 {
		t.Fatal(stcore.Hash2("abc"))
	}
}

func TestLooksLikeRefreshTokenTellsCoreTokensApart(t *testing.T) {
	g := stcoretest.New(3, genNow)
	key := g.RefreshKey()
	if !stcore.LooksLikeRefreshToken(g.Session(key, stcoretest.SessionOptions{}).Refresh) {
		t.Fatal("core token not recognised")
	}
	for _, s := range []string{"", "abc", "a.b.c", "a.b.V3", "a.b.V2.x", base64.RawURLEncoding.EncodeToString(make([]byte, 40))} {
		if stcore.LooksLikeRefreshToken(s) {
			t.Errorf("%q taken for a core token", s)
		}
	}
}
