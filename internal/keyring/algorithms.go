package keyring

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"

	"github.com/golang-jwt/jwt/v5"
)

// algorithm describes one supported signing algorithm.
type algorithm struct {
	method   jwt.SigningMethod
	generate func() (crypto.Signer, error)
}

var algorithms = map[string]algorithm{
	"ES256": {jwt.SigningMethodES256, func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }},
	"RS256": {jwt.SigningMethodRS256, func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) }},
	"EdDSA": {jwt.SigningMethodEdDSA, func() (crypto.Signer, error) {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}},
}

// Supported reports whether alg (a JWS "alg" value) is one the keyring can
// generate keys for and sign with.
func Supported(alg string) bool {
	_, ok := algorithms[alg]
	return ok
}
