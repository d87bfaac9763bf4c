package ginsession

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"math/big"
)

func publicJWK(key *liveKey) (map[string]string, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	jwk := map[string]string{"kid": key.id, "alg": key.alg, "use": "sig"}
	switch pub := key.public.(type) {
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
		return nil, fmt.Errorf("ginsession: unsupported public key type %T", key.public)
	}
	return jwk, nil
}
