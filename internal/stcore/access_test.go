package stcore_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ginsession/ginsession/internal/stcore"
	"github.com/ginsession/ginsession/internal/stcore/stcoretest"
)

func verifyKeys(t *testing.T, ks ...*stcoretest.Key) []stcore.VerifyKey {
	t.Helper()
	var out []stcore.VerifyKey
	for _, k := range ks {
		kp, err := stcore.ParseKeyPair(k.KeyString)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, stcore.VerifyKey{ID: k.ID, Public: kp.Public})
	}
	return out
}

func TestAccessTokenEveryVersionVerifiesAndReads(t *testing.T) {
	g := stcoretest.New(10, genNow)
	rk := g.RefreshKey()
	dyn := g.DynamicKey(0, genNow.Add(-time.Hour))
	static := g.StaticKey(1, genNow.Add(-1000*time.Hour))
	keys := verifyKeys(t, dyn, static)
	s := g.Session(rk, stcoretest.SessionOptions{TenantID: "t9", Rotations: 2, AntiCSRF: true})
	iat, exp := genNow.Add(-time.Minute).Truncate(time.Second), genNow.Add(time.Hour).Truncate(time.Second)
	for version := 1; version <= 5; version++ {
		for _, k := range []*stcoretest.Key{dyn, static} {
			tok := g.AccessToken(version, k, s, iat, exp)
			at, err := stcore.VerifyAccessToken(tok, keys, genNow)
			if err != nil {
				t.Fatalf("v%d %s: %v", version, k.ID, err)
			}
			wantKid, wantTenant := k.ID, "public"
			if version <= 2 {
				wantKid = ""
			}
			if version >= 4 {
				wantTenant = "t9"
			}
			if at.Version != version || at.KeyID != wantKid || at.SessionHandle != s.Handle || at.UserID != s.UserID ||
				at.RecipeUserID != s.UserID || at.TenantID != wantTenant || at.AntiCSRFToken != s.AntiCSRF ||
				at.RefreshHash1 != stcore.Hash1(s.Refresh) || at.ParentRefreshHash1 != stcore.Hash1(s.Parent) ||
				!at.Expiry.Equal(exp) || !at.IssuedAt.Equal(iat) {
				t.Fatalf("v%d read as %+v", version, at)
			}
			var got, want map[string]any
			if err := json.Unmarshal(at.Payload, &got); err != nil {
				t.Fatal(err)
			}
			_ = json.Unmarshal([]byte(s.JWTPayload), &want)
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			if string(gb) != string(wb) {
				t.Fatalf("v%d payload %s, want %s", version, gb, wb)
			}
		}
	}
}

func TestAccessTokenRefusals(t *testing.T) {
	g := stcoretest.New(11, genNow)
	rk := g.RefreshKey()
	k := g.DynamicKey(0, genNow)
	other := g.DynamicKey(2, genNow.Add(time.Minute))
	keys := verifyKeys(t, k)
	s := g.Session(rk, stcoretest.SessionOptions{})
	iat, exp := genNow, genNow.Add(time.Hour)
	v5 := g.AccessToken(5, k, s, iat, exp)
	v2 := g.AccessToken(2, k, s, iat, exp)
	p5 := strings.Split(v5, ".")
	p2 := strings.Split(v2, ".")
	reencode := func(parts []string, enc *base64.Encoding, edit func(map[string]any)) string {
		b, _ := enc.DecodeString(parts[1])
		var c map[string]any
		_ = json.Unmarshal(b, &c)
		edit(c)
		nb, _ := json.Marshal(c)
		return parts[0] + "." + enc.EncodeToString(nb) + "." + parts[2]
	}
	hdr := func(h string) string {
		return base64.RawURLEncoding.EncodeToString([]byte(h)) + "." + p5[1] + "." + p5[2]
	}
	for _, c := range []struct {
		name, token string
		keys        []stcore.VerifyKey
		now         time.Time
		want        error
	}{
		{"V5OtherKeySameKid", g.AccessToken(5, &stcoretest.Key{ID: k.ID, Private: other.Private}, s, iat, exp), keys, genNow, stcore.ErrUnauthentic},
		{"V5UnknownKid", g.AccessToken(5, other, s, iat, exp), keys, genNow, stcore.ErrUnknownKey},
		{"V2NoKeyFits", v2, verifyKeys(t, other), genNow, stcore.ErrUnauthentic},
		{"V5ClaimEdited", reencode(p5, base64.RawURLEncoding, func(c map[string]any) { c["sub"] = "mallory" }), keys, genNow, stcore.ErrUnauthentic},
		{"V2ClaimEdited", reencode(p2, base64.StdEncoding, func(c map[string]any) { c["userId"] = "mallory" }), keys, genNow, stcore.ErrUnauthentic},
		{"V5Expired", v5, keys, exp.Add(time.Second), stcore.ErrExpired},
		{"V2Expired", v2, keys, exp.Add(time.Millisecond), stcore.ErrExpired},
		// One character off: 341 characters of Base64url are never a
		// whole number of bytes (four off decoded, 1 time in 16, as a
		// shorter signature: not authentic instead of malformed).
		{"V5SignatureTruncated", v5[:len(v5)-1], keys, genNow, stcore.ErrMalformed},
		{"V5SignatureOfAnotherToken", p5[0] + "." + p5[1] + "." + strings.Split(g.AccessToken(5, k, s, iat, exp.Add(time.Second)), ".")[2], keys, genNow, stcore.ErrUnauthentic},
		{"TwoParts", p5[0] + "." + p5[1], keys, genNow, stcore.ErrMalformed},
		{"AlgNone", hdr(`{"alg":"none","typ":"JWT","kid":"` + k.ID + `","version":"5"}`), keys, genNow, stcore.ErrMalformed},
		{"AlgHS256", hdr(`{"alg":"HS256","typ":"JWT","kid":"` + k.ID + `","version":"5"}`), keys, genNow, stcore.ErrMalformed},
		{"Version6", hdr(`{"alg":"RS256","typ":"JWT","kid":"` + k.ID + `","version":"6"}`), keys, genNow, stcore.ErrMalformed},
		{"Version2InAJSONHeader", hdr(`{"alg":"RS256","typ":"JWT","kid":"` + k.ID + `","version":"2"}`), keys, genNow, stcore.ErrMalformed},
		{"VersionNumber", hdr(`{"alg":"RS256","typ":"JWT","kid":"` + k.ID + `","version":5}`), keys, genNow, stcore.ErrMalformed},
		{"NoKid", hdr(`{"alg":"RS256","typ":"JWT","version":"5"}`), keys, genNow, stcore.ErrMalformed},
		{"HeaderNotJSON", hdr(`nope`), keys, genNow, stcore.ErrMalformed},
		{"Huge", strings.Repeat("a", 20000), keys, genNow, stcore.ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := stcore.VerifyAccessToken(c.token, c.keys, c.now)
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
		})
	}
}

func TestAccessTokenMissingReservedClaimIsRefused(t *testing.T) {
	// A token signed by the right key but lacking a claim its version
	// reserves is refused, as the core refuses it.
	g := stcoretest.New(12, genNow)
	k := g.DynamicKey(0, genNow)
	s := g.Session(g.RefreshKey(), stcoretest.SessionOptions{})
	tok := g.AccessToken(4, k, s, genNow, genNow.Add(time.Hour))
	// version 4 tokens read as version 5 need rsub: relabel the header and re-sign.
	parts := strings.Split(tok, ".")
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT","kid":"` + k.ID + `","version":"5"}`))
	resigned := stcoretest.SignRS256(k.Private, h+"."+parts[1])
	_, err := stcore.VerifyAccessToken(resigned, verifyKeys(t, k), genNow)
	if !errors.Is(err, stcore.ErrUnauthentic) || !strings.Contains(err.Error(), "rsub") {
		t.Fatalf("v4 claims under a v5 header: %v", err)
	}
}

func TestLooksLikeAccessTokenTellsCoreTokensApart(t *testing.T) {
	g := stcoretest.New(13, genNow)
	k := g.DynamicKey(0, genNow)
	s := g.Session(g.RefreshKey(), stcoretest.SessionOptions{})
	for v := 1; v <= 5; v++ {
		if !stcore.LooksLikeAccessToken(g.AccessToken(v, k, s, genNow, genNow.Add(time.Hour))) {
			t.Fatalf("v%d not recognised", v)
		}
	}
	ours := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","typ":"JWT","kid":"abc"}`)) + ".e30.sig"
	if stcore.LooksLikeAccessToken(ours) || stcore.LooksLikeAccessToken("a.b") {
		t.Fatal("a foreign token taken for a core one")
	}
}
