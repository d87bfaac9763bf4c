package ginsession

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/memstore"
)

// The in-package test harness: an engine on a fixed key and clock, for the
// fuzz targets that drive verification end to end (fuzz_requests_test.go).

// fuzzKeyPEM is a fixed ES256 signing key, so that the seed corpus can hold
// genuine tokens: with it and fuzzNow, a token minted once stays valid.
const fuzzKeyPEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQghX9XTa7mE/e0xjCj
do7cYbdZS7/OIkSfPYkC2I08xguhRANCAAS78R2G9IVCNwKP1QpLnjpiO+X6bnUJ
wQSSEbZgpSYEHpK8YPJa2u4lGWgFPH3KKcSSWocITUNzUrKQBIAEIoCA
-----END PRIVATE KEY-----`

const (
	fuzzKid = "f022f022f022f022f022f022f022f022"
	fuzzAPI = "https://api.example.test"
)

var fuzzNow = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// fuzzEngine builds an engine on a fresh in-memory store with the fixed key and
// a frozen clock (no key rotation, no revocation polling: the fuzz loop does
// no database I/O after the first call).
func fuzzEngine(tb testing.TB, mutate func(*Config)) (*Sessions, *ecdsa.PrivateKey) {
	tb.Helper()
	block, _ := pem.Decode([]byte(fuzzKeyPEM))
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	priv := parsed.(*ecdsa.PrivateKey)
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	st := memstore.New()
	tb.Cleanup(func() { st.Close() })
	err = st.AddSigningKey(context.Background(), &store.SigningKey{
		ID: fuzzKid, Algorithm: "ES256", PrivateKey: block.Bytes, PublicKey: pub,
		CreatedAt: fuzzNow.Add(-time.Hour), SignFrom: fuzzNow.Add(-time.Hour), ExpiresAt: fuzzNow.Add(30 * 24 * time.Hour),
	})
	if err != nil {
		tb.Fatal(err)
	}
	cfg := Config{
		Store: st, APIDomain: fuzzAPI, Now: func() time.Time { return fuzzNow },
		RevocationPollInterval: -1,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	e, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return e, priv
}

// signInOn creates a session for user on e through a real Gin route, in
// the st-auth-mode given ("cookie" or "header"), and returns the response:
// its tokens are in the cookies or the st-*-token headers.
func signInOn(tb testing.TB, e *Sessions, user, mode string) *httptest.ResponseRecorder {
	tb.Helper()
	r := gin.New()
	r.POST("/signin", func(c *gin.Context) {
		if _, err := e.Create(c, user, nil, nil); err != nil {
			e.HandleError(c, err)
		}
	})
	req := httptest.NewRequest("POST", "/signin", nil)
	req.Header.Set("st-auth-mode", mode)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		tb.Fatalf("sign-in (%s mode): %d %s", mode, w.Code, w.Body)
	}
	return w
}
