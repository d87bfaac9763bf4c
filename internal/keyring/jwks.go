package keyring

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"math/big"
	"time"
)

// JWKSMaxAge is the max-age the JWKS and discovery documents are served
// with: how long a verifier may keep them before asking again.
const JWKSMaxAge = 60 * time.Second

// publicJWK is the JWK (RFC 7517, 7518, 8037) of a key's public half.
func publicJWK(key *Key) (map[string]string, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	jwk := map[string]string{"kid": key.ID, "alg": key.Algorithm, "use": "sig"}
	switch pub := key.Public.(type) {
	case *ecdsa.PublicKey:
		ecdh, err := pub.ECDH()
		if err != nil {
			return nil, err
		}
		raw := ecdh.Bytes() // 0x04 || X || Y, each 32 bytes for P-256
		jwk["kty"], jwk["crv"] = "EC", "P-256"
		jwk["x"], jwk["y"] = b64(raw[1:33]), b64(raw[33:65])
	case *rsa.PublicKey:
		jwk["kty"] = "RSA"
		jwk["n"] = b64(pub.N.Bytes())
		jwk["e"] = b64(big.NewInt(int64(pub.E)).Bytes())
	case ed25519.PublicKey:
		jwk["kty"], jwk["crv"] = "OKP", "Ed25519"
		jwk["x"] = b64(pub)
	default:
		return nil, fmt.Errorf("ginsession: unsupported public key type %T", key.Public)
	}
	return jwk, nil
}
