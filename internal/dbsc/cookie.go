package dbsc

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"

	"github.com/ginsession/ginsession/internal/keycrypto"
)

// CookieName is the bound cookie's name.
const CookieName = "sDeviceBound"

// The bound cookie is a MAC, not a database row: its value is its expiry
// and an HMAC-SHA256 of the session handle and that expiry under a key
// derived from the server secret. Any instance checks it without a store
// read (the refresh route already reads the binding, once); it cannot be
// made for another session nor extended without the secret; and a copy of
// it stops working at its expiry, however it was taken. Nothing needs
// revoking: ending the session ends its binding, and the refresh route
// then asks for nothing more.

const cookieMACLen = 32

// CookieSlack is how much longer the MAC accepts a bound cookie than the
// browser keeps it (its Max-Age is CookieTTL): a browser sends a cookie up
// to its last second, and instances' clocks differ by a little.
const CookieSlack = 5 * time.Second

func deriveCookieKey(secret []byte) []byte {
	return keycrypto.Derive(secret, "ginsession dbsc bound cookie v1")
}

func (b *Binder) mac(handle string, exp int64) []byte {
	m := hmac.New(sha256.New, b.cookie)
	var e [8]byte
	binary.BigEndian.PutUint64(e[:], uint64(exp))
	m.Write(e[:])
	m.Write([]byte(handle))
	return m.Sum(nil)[:cookieMACLen]
}

// Cookie is a new bound cookie's value for the session handle, and when
// its MAC stops being accepted (now + CookieTTL + CookieSlack, to the
// second); the browser is told to keep it CookieTTL.
func (b *Binder) Cookie(handle string) (value string, expires time.Time) {
	exp := b.o.Now().Add(b.o.CookieTTL + CookieSlack).Unix()
	buf := make([]byte, 8, 8+cookieMACLen)
	binary.BigEndian.PutUint64(buf, uint64(exp))
	buf = append(buf, b.mac(handle, exp)...)
	return base64.RawURLEncoding.EncodeToString(buf), time.Unix(exp, 0).UTC()
}

// CookieValid reports whether value is a bound cookie of the session
// handle that has not expired by now.
func (b *Binder) CookieValid(value, handle string) bool {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(value)
	if err != nil || len(raw) != 8+cookieMACLen {
		return false
	}
	exp := int64(binary.BigEndian.Uint64(raw[:8]))
	if !hmac.Equal(raw[8:], b.mac(handle, exp)) {
		return false
	}
	return b.o.Now().Unix() < exp
}
