package stcore

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"
)

// KeyPair is one of the core's RSA signing keys as it stores them.
type KeyPair struct {
	Public    *rsa.PublicKey
	PublicDER []byte // X.509 SubjectPublicKeyInfo, as the core stored it
	Private   *rsa.PrivateKey
}

// ParseKeyPair reads a core key string: "<public>|<private>" (";" in
// older rows), each standard Base64 of DER, the public half X.509
// SubjectPublicKeyInfo and the private half PKCS#8, both RSA. The private
// half must belong to the public one.
func ParseKeyPair(s string) (*KeyPair, error) {
	i := strings.IndexAny(s, "|;")
	if i < 0 {
		return nil, fmt.Errorf("%w: key string has no '|' or ';' separator", ErrMalformed)
	}
	pubText, privText := s[:i], s[i+1:]
	if strings.ContainsAny(privText, "|;") {
		return nil, fmt.Errorf("%w: key string has more than two parts", ErrMalformed)
	}
	pubDER, err := base64.StdEncoding.Strict().DecodeString(pubText)
	if err != nil {
		return nil, fmt.Errorf("%w: public key is not Base64: %v", ErrMalformed, err)
	}
	pub, err := ParsePublicKey(pubDER)
	if err != nil {
		return nil, err
	}
	privDER, err := base64.StdEncoding.Strict().DecodeString(privText)
	if err != nil {
		return nil, fmt.Errorf("%w: private key is not Base64: %v", ErrMalformed, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(privDER)
	if err != nil {
		return nil, fmt.Errorf("%w: private key: %v", ErrMalformed, err)
	}
	priv, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: private key is %T, not RSA", ErrMalformed, k)
	}
	if !priv.PublicKey.Equal(pub) {
		return nil, fmt.Errorf("%w: private key does not match the public key", ErrMalformed)
	}
	return &KeyPair{Public: pub, PublicDER: pubDER, Private: priv}, nil
}

// ParsePublicKey reads an RSA public key from X.509 SubjectPublicKeyInfo
// DER (KeyPair.PublicDER, or what an import stored).
func ParsePublicKey(der []byte) (*rsa.PublicKey, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: public key: %v", ErrMalformed, err)
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: public key is %T, not RSA", ErrMalformed, k)
	}
	return pub, nil
}
