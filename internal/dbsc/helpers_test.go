package dbsc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/memstore"
)

// browser is a test's stand-in for a browser's key pair: it signs proofs
// as Chromium does (compact JWS, typ dbsc+jwt).
type browser struct {
	alg string
	ec  *ecdsa.PrivateKey
	rsa *rsa.PrivateKey
}

func newBrowser(t testing.TB, alg string) *browser {
	t.Helper()
	b := &browser{alg: alg}
	var err error
	switch alg {
	case "ES256":
		b.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "RS256":
		b.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		t.Fatalf("alg %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jwk is the public key as a JWK object.
func (b *browser) jwk() map[string]string {
	enc := base64.RawURLEncoding
	if b.ec != nil {
		pt, err := b.ec.PublicKey.Bytes()
		if err != nil {
			panic(err)
		}
		return map[string]string{"kty": "EC", "crv": "P-256", "x": enc.EncodeToString(pt[1:33]), "y": enc.EncodeToString(pt[33:])}
	}
	return map[string]string{"kty": "RSA", "n": enc.EncodeToString(b.rsa.N.Bytes()), "e": enc.EncodeToString([]byte{1, 0, 1})}
}

// sign makes a proof with the given header and claims, signed by b.
func (b *browser) sign(t testing.TB, header, claims map[string]any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	if b.ec != nil {
		r, s, err := ecdsa.Sign(rand.Reader, b.ec, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	} else {
		sig, err = rsa.SignPKCS1v15(rand.Reader, b.rsa, crypto.SHA256, digest[:])
		if err != nil {
			t.Fatal(err)
		}
	}
	return input + "." + enc.EncodeToString(sig)
}

// registration is the proof Chromium sends to the registration endpoint.
func (b *browser) registration(t testing.TB, challenge, authorization string) string {
	return b.sign(t, map[string]any{"typ": ProofType, "alg": b.alg, "jwk": b.jwk()},
		map[string]any{"jti": challenge, "authorization": authorization})
}

// refresh is the proof Chromium sends to the refresh endpoint: no key.
func (b *browser) refresh(t testing.TB, challenge string) string {
	return b.sign(t, map[string]any{"typ": ProofType, "alg": b.alg}, map[string]any{"jti": challenge})
}

// harness is a Binder on a memstore with a clock the test moves.
type harness struct {
	st  *memstore.Store
	b   *Binder
	now time.Time
}

var t0 = time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{st: memstore.New(), now: t0}
	t.Cleanup(func() { _ = h.st.Close() })
	h.b = New(Options{
		Store: h.st, Secret: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return h.now },
		RegistrationTTL: 5 * time.Minute, ChallengeTTL: time.Minute, CookieTTL: 90 * time.Second,
	})
	return h
}

// session stores a live session row and returns its handle.
func (h *harness) session(t *testing.T, handle string) string {
	t.Helper()
	err := h.st.CreateSession(context.Background(), &store.Session{
		Handle: handle, UserID: "u-" + handle, RefreshHash: []byte("hash-" + handle),
		RotatedAt: h.now, CreatedAt: h.now, ExpiresAt: h.now.Add(24 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	return handle
}

// offer is the challenge of a registration offer for handle.
func (h *harness) offer(t *testing.T, handle string) string {
	t.Helper()
	c, err := h.b.Offer(context.Background(), handle)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// bound registers br for a new session and returns its handle.
func (h *harness) bound(t *testing.T, handle string, br *browser) string {
	t.Helper()
	h.session(t, handle)
	got, err := h.b.Register(context.Background(), br.registration(t, h.offer(t, handle), Authorization(handle)))
	if err != nil || got != handle {
		t.Fatalf("Register = %q, %v; want %q", got, err, handle)
	}
	return handle
}

// challenge is a refresh challenge for handle.
func (h *harness) challenge(t *testing.T, handle string) string {
	t.Helper()
	c, err := h.b.Challenge(context.Background(), handle)
	if err != nil {
		t.Fatalf("Challenge(%s): %v", handle, err)
	}
	return c
}

func describe(err error) string { return fmt.Sprintf("%v", err) }
