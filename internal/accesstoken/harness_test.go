package accesstoken

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ginsession/ginsession/internal/keyring"
)

// The package's test harness: Tokens on one fixed ES256 key and a frozen
// clock, with the engine's defaults (one-hour tokens, the issuer of
// https://api.example.test with APIBasePath /auth, the verify cache on).

// fuzzKeyPEM is the key of ginsession's own fuzz harness, so that the seed
// corpus can hold genuine tokens: with it and fuzzNow, a token minted once
// stays valid.
const fuzzKeyPEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQghX9XTa7mE/e0xjCj
do7cYbdZS7/OIkSfPYkC2I08xguhRANCAAS78R2G9IVCNwKP1QpLnjpiO+X6bnUJ
wQSSEbZgpSYEHpK8YPJa2u4lGWgFPH3KKcSSWocITUNzUrKQBIAEIoCA
-----END PRIVATE KEY-----`

const (
	fuzzKid    = "f022f022f022f022f022f022f022f022"
	fuzzAPI    = "https://api.example.test"
	fuzzHandle = "0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f"
)

var fuzzNow = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// fixedKeys is a Keys of one key, which never reloads.
type fixedKeys struct{ key *keyring.Key }

func (f fixedKeys) Signer(context.Context) (*keyring.Key, error) { return f.key, nil }

func (f fixedKeys) Lookup(_ context.Context, kid string) *keyring.Key {
	if kid == f.key.ID {
		return f.key
	}
	return nil
}

func (f fixedKeys) Knows(kid string) bool { return kid == f.key.ID }

// fixedKey is the harness's key as a keyring.Key.
func fixedKey(tb testing.TB) (*keyring.Key, *ecdsa.PrivateKey) {
	tb.Helper()
	block, _ := pem.Decode([]byte(fuzzKeyPEM))
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	priv := parsed.(*ecdsa.PrivateKey)
	return &keyring.Key{
		ID: fuzzKid, Algorithm: "ES256", Method: jwt.SigningMethodES256, Public: &priv.PublicKey, Private: priv,
		SignFrom: fuzzNow.Add(-time.Hour), ExpiresAt: fuzzNow.Add(30 * 24 * time.Hour),
	}, priv
}

// harnessOptions are the Options of fuzzTokens; tests change a copy.
func harnessOptions(tb testing.TB) Options {
	key, _ := fixedKey(tb)
	return Options{
		Keys: fixedKeys{key}, Algorithm: "ES256", Issuer: fuzzAPI + "/auth", TTL: time.Hour,
		CacheSize: 10000, Now: func() time.Time { return fuzzNow },
	}
}

// fuzzTokens is Tokens on the harness's options, and the private key.
func fuzzTokens(tb testing.TB) (*Tokens, *ecdsa.PrivateKey) {
	_, priv := fixedKey(tb)
	return New(harnessOptions(tb)), priv
}
