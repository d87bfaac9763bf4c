package stcore_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/ginsession/ginsession/internal/stcore"
	"github.com/ginsession/ginsession/internal/stcore/stcoretest"
)

func TestKeyPairParsesTheCoreKeyStrings(t *testing.T) {
	g := stcoretest.New(20, genNow)
	k := g.DynamicKey(0, genNow)
	other := g.DynamicKey(1, genNow)
	pub, priv, _ := strings.Cut(k.KeyString, "|")
	_, otherPriv, _ := strings.Cut(other.KeyString, "|")

	kp, err := stcore.ParseKeyPair(k.KeyString)
	if err != nil {
		t.Fatal(err)
	}
	if !kp.Public.Equal(&k.Private.PublicKey) || !kp.Private.Equal(k.Private) || base64.StdEncoding.EncodeToString(kp.PublicDER) != pub {
		t.Fatal("parsed key differs from the generated one")
	}
	if _, err := stcore.ParseKeyPair(pub + ";" + priv); err != nil {
		t.Fatalf("legacy ';' separator: %v", err)
	}
	if back, err := stcore.ParsePublicKey(kp.PublicDER); err != nil || !back.Equal(kp.Public) {
		t.Fatalf("public DER round trip: %v", err)
	}
	for name, s := range map[string]string{
		"NoSeparator":   pub,
		"ThreeParts":    pub + "|" + priv + "|" + priv,
		"Mismatched":    pub + "|" + otherPriv,
		"SwappedHalves": priv + "|" + pub,
		"NotBase64":     "!!|" + priv,
		"Truncated":     pub[:len(pub)-8] + "|" + priv,
		"Empty":         "|",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := stcore.ParseKeyPair(s); !errors.Is(err, stcore.ErrMalformed) {
				t.Fatalf("error %v, want ErrMalformed", err)
			}
		})
	}
}
