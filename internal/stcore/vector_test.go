package stcore

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"
)

// vectors are made outside Go (testdata/vectors.py, Python's hashlib and
// "cryptography") from the core's formats, so that the decoder and the
// test generator (stcoretest) cannot agree on a mistake unnoticed.
type vectors struct {
	RefreshKey, RefreshToken, RefreshTokenHash2 string
	ParentHash1, ParentHash2, Nonce             string
	KeyString, AccessTokenV2, AccessTokenV5     string
	RefreshTokenHash1                           string
}

func loadVectors(t testing.TB) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVectorRefreshTokenOpensAsTheCoreSealedIt(t *testing.T) {
	v := loadVectors(t)
	rt, err := OpenRefreshToken(v.RefreshToken, v.RefreshKey)
	if err != nil {
		t.Fatal(err)
	}
	want := RefreshToken{
		SessionHandle: "0b8ad1f4-2c1e-4a57-8d0e-5f7c9b1e3a22_tenant1", UserID: "user-42",
		Nonce: v.Nonce, ParentHash1: v.ParentHash1, AntiCSRFToken: "7c0e5c2a-1d3b-4c8e-9f00-aa11bb22cc33",
		TenantID: "tenant1", Hash2: v.RefreshTokenHash2,
	}
	if *rt != want {
		t.Fatalf("opened\n%+v\nwant\n%+v", *rt, want)
	}
	if rt.ParentHash2() != v.ParentHash2 {
		t.Fatalf("parent hash2 %s, want %s", rt.ParentHash2(), v.ParentHash2)
	}
	if got := rt.Against(v.ParentHash2); got != UnpromotedChild {
		t.Fatalf("against the parent's hash2: %v", got)
	}
}

func TestVectorAccessTokensVerifyUnderTheCoreKey(t *testing.T) {
	v := loadVectors(t)
	kp, err := ParseKeyPair(v.KeyString)
	if err != nil {
		t.Fatal(err)
	}
	keys := []VerifyKey{{ID: "d-1767225600000", Public: kp.Public}}
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)

	at2, err := VerifyAccessToken(v.AccessTokenV2, keys, now)
	if err != nil {
		t.Fatal(err)
	}
	if at2.Version != 2 || at2.UserID != "user-42" || at2.RecipeUserID != "user-42" || at2.TenantID != "public" ||
		at2.AntiCSRFToken != "anti" || at2.RefreshHash1 != v.RefreshTokenHash1 || at2.ParentRefreshHash1 != "" ||
		string(at2.Payload) != `{"role":"admin"}` || at2.Expiry.UnixMilli() != 4102444800000 || at2.IssuedAt.UnixMilli() != 1767225600000 {
		t.Fatalf("v2 read as %+v", at2)
	}

	at5, err := VerifyAccessToken(v.AccessTokenV5, keys, now)
	if err != nil {
		t.Fatal(err)
	}
	if at5.Version != 5 || at5.KeyID != "d-1767225600000" || at5.UserID != "primary-1" || at5.RecipeUserID != "recipe-1" ||
		at5.TenantID != "tenant1" || at5.AntiCSRFToken != "" || at5.ParentRefreshHash1 != "" ||
		string(at5.Payload) != `{"n":1,"role":"admin"}` || at5.Expiry.Unix() != 4102444800 {
		t.Fatalf("v5 read as %+v (payload %s)", at5, at5.Payload)
	}

	if _, err := VerifyAccessToken(v.AccessTokenV5, []VerifyKey{{ID: "d-1", Public: kp.Public}}, now); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("v5 under another kid: %v, want ErrUnknownKey", err)
	}
}
