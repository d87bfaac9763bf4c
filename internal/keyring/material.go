package keyring

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/ginsession/ginsession/internal/keycrypto"
	"github.com/ginsession/ginsession/store"
)

// KidPrefix starts the kid of every key generate makes: "d-", which is
// how the SuperTokens core names the keys it rotates ("dynamic" keys).
// supertokens-node, in its default setting, refuses a token whose kid does
// not start with it (docs/supertokens-node-coexistence.md); to everything
// else a kid is opaque. Keys made before the prefix (32 hex characters)
// keep verifying until they expire.
const KidPrefix = "d-"

// ourKid reports whether kid has the shape of a kid generate makes, now
// (KidPrefix and 32 hex characters) or before the prefix (32 hex
// characters): only those may cost a reload from the store on a miss.
func ourKid(kid string) bool {
	kid = strings.TrimPrefix(kid, KidPrefix)
	if len(kid) != 32 {
		return false
	}
	_, err := hex.DecodeString(kid)
	return err == nil
}

// generate makes a new key of the configured algorithm as a store row: the
// private half in PKCS #8 (sealed under the master key when there is one,
// bound to the kid), the public half in PKIX.
func (k *Keyring) generate(signFrom time.Time, follows string) (*store.SigningKey, error) {
	alg := algorithms[k.opts.Algorithm]
	priv, err := alg.generate()
	if err != nil {
		return nil, fmt.Errorf("ginsession: generating a %s key: %w", k.opts.Algorithm, err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return nil, err
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	kid := KidPrefix + hex.EncodeToString(id)
	if k.wrapKey != nil {
		if privDER, err = keycrypto.Seal(k.wrapKey, privDER, []byte(kid)); err != nil {
			return nil, err
		}
	}
	now := k.opts.Now()
	return &store.SigningKey{
		ID:         kid,
		Algorithm:  k.opts.Algorithm,
		PrivateKey: privDER,
		PublicKey:  pubDER,
		CreatedAt:  now,
		SignFrom:   signFrom,
		// Signs for one interval, then stays published until the last token
		// it signed has expired, plus a minute for clock differences.
		ExpiresAt: signFrom.Add(k.opts.Rotation + k.opts.AccessTTL + time.Minute),
		Follows:   follows,
	}, nil
}

// parse reads a store row into a Key. A private half this instance cannot
// open leaves the key verify-only; an unreadable public half or unknown
// algorithm is an error.
func (k *Keyring) parse(row store.SigningKey) (*Key, error) {
	alg, ok := algorithms[row.Algorithm]
	if !ok {
		return nil, fmt.Errorf("unknown algorithm %q", row.Algorithm)
	}
	pub, err := x509.ParsePKIXPublicKey(row.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	key := &Key{ID: row.ID, Algorithm: row.Algorithm, Method: alg.method, Public: pub, SignFrom: row.SignFrom, ExpiresAt: row.ExpiresAt}
	privDER := row.PrivateKey
	if k.wrapKey != nil {
		if privDER, err = keycrypto.Open(k.wrapKey, privDER, []byte(row.ID)); err != nil {
			// Another instance with another MasterKey, or a key stored in
			// the clear before MasterKey was set: verify only.
			return key, nil
		}
	}
	if priv, err := x509.ParsePKCS8PrivateKey(privDER); err == nil {
		if signer, ok := priv.(crypto.Signer); ok {
			key.Private = signer
		}
	}
	return key, nil
}
