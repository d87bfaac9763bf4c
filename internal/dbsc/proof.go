package dbsc

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/ginsession/ginsession/internal/jose"
)

// ProofType is the typ every DBSC proof's header carries.
const ProofType = "dbsc+jwt"

// The reasons a proof is refused. Each is its own error so tests and
// metrics can tell them apart; every one of them means "no proof".
var (
	ErrMalformed     = errors.New("dbsc: proof is not a well-formed JWT")
	ErrType          = errors.New("dbsc: proof typ is not dbsc+jwt")
	ErrAlgorithm     = errors.New("dbsc: proof alg is not one ginsession offers (ES256, RS256)")
	ErrKey           = errors.New("dbsc: proof key is missing, malformed or does not fit its alg")
	ErrKeyInRefresh  = errors.New("dbsc: a refresh proof carries a key: the registered key signs refreshes")
	ErrSignature     = errors.New("dbsc: proof signature does not verify")
	ErrClaims        = errors.New("dbsc: proof claims are missing or malformed")
	ErrAuthorization = errors.New("dbsc: proof authorization does not match the offer")
)

// Proof is a parsed DBSC proof whose signature has not been checked yet.
type Proof struct {
	Alg string
	// JWK is the public key the header carries, nil when it carries none.
	JWK json.RawMessage
	// JTI is the challenge the proof answers.
	JTI string
	// Authorization is the authorization claim; HasAuthorization reports
	// whether it came at all.
	Authorization    string
	HasAuthorization bool

	signed []byte // header.payload, what the signature covers
	sig    []byte
}

// ParseProof reads a proof's text without trusting it: three base64url
// segments, a header and payload that are each exactly one JSON object
// without duplicate names, typ dbsc+jwt, alg ES256 or RS256 (never none:
// an unsigned proof has no signature segment and is malformed), no crit,
// and a non-empty string jti. The signature is checked by Key.Verify.
func ParseProof(text string) (*Proof, error) {
	if !jose.WellFormed(text) {
		return nil, ErrMalformed
	}
	if err := jose.StrictSegments(text); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	parts := strings.Split(text, ".")
	enc := base64.RawURLEncoding.Strict()
	hdrJSON, err1 := enc.DecodeString(parts[0])
	payJSON, err2 := enc.DecodeString(parts[1])
	sig, err3 := enc.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var hdr struct {
		Typ  *string         `json:"typ"`
		Alg  *string         `json:"alg"`
		JWK  json.RawMessage `json:"jwk"`
		Crit json.RawMessage `json:"crit"`
	}
	if err := json.Unmarshal(hdrJSON, &hdr); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if hdr.Typ == nil || *hdr.Typ != ProofType {
		return nil, ErrType
	}
	if hdr.Alg == nil || !slices.Contains(Algorithms, *hdr.Alg) {
		return nil, ErrAlgorithm
	}
	if hdr.Crit != nil {
		return nil, fmt.Errorf("%w: crit: no extension is understood", ErrMalformed)
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payJSON, &claims); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	p := &Proof{Alg: *hdr.Alg, signed: []byte(parts[0] + "." + parts[1]), sig: sig}
	if len(hdr.JWK) > 0 && !bytes.Equal(hdr.JWK, []byte("null")) {
		p.JWK = hdr.JWK
	}
	if err := json.Unmarshal(claims["jti"], &p.JTI); err != nil || p.JTI == "" {
		return nil, fmt.Errorf("%w: jti must be a non-empty string", ErrClaims)
	}
	if raw, ok := claims["authorization"]; ok {
		if err := json.Unmarshal(raw, &p.Authorization); err != nil {
			return nil, fmt.Errorf("%w: authorization must be a string", ErrClaims)
		}
		p.HasAuthorization = true
	}
	return p, nil
}

// Key is a public key a browser registered for a session.
type Key struct {
	alg string // ES256 or RS256
	pub crypto.PublicKey
	// jwk is the key's canonical JWK (members in a fixed order, public
	// members only): what the store keeps.
	jwk []byte
}

// JWK is the key as canonical JWK JSON, the form the store keeps.
func (k *Key) JWK() []byte { return slices.Clone(k.jwk) }

// Alg is the algorithm the key signs with.
func (k *Key) Alg() string { return k.alg }

// minRSABits is the smallest RSA modulus accepted (browsers make 2048).
const minRSABits = 2048

// ParseJWK reads a public JWK: an EC key on P-256 (ES256) or an RSA key of
// at least 2048 bits (RS256). Private members are refused: a browser never
// sends its private key, and one that does is not a browser.
func ParseJWK(raw []byte) (*Key, error) {
	var j struct {
		Kty, Crv, X, Y, N, E, D string
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	if j.D != "" {
		return nil, fmt.Errorf("%w: a private key", ErrKey)
	}
	enc := base64.RawURLEncoding.Strict()
	switch j.Kty {
	case "EC":
		if j.Crv != "P-256" {
			return nil, fmt.Errorf("%w: curve %q", ErrKey, j.Crv)
		}
		x, err1 := enc.DecodeString(j.X)
		y, err2 := enc.DecodeString(j.Y)
		if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			return nil, fmt.Errorf("%w: EC coordinates", ErrKey)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
		canon := fmt.Sprintf(`{"kty":"EC","crv":"P-256","x":%q,"y":%q}`, enc.EncodeToString(x), enc.EncodeToString(y))
		return &Key{alg: "ES256", pub: pub, jwk: []byte(canon)}, nil
	case "RSA":
		n, err1 := enc.DecodeString(j.N)
		e, err2 := enc.DecodeString(j.E)
		if err1 != nil || err2 != nil || len(n) == 0 || n[0] == 0 || len(e) == 0 || len(e) > 4 || e[0] == 0 {
			return nil, fmt.Errorf("%w: RSA members", ErrKey)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < minRSABits || pub.N.BitLen() > 8192 || pub.E < 3 || pub.E%2 == 0 {
			return nil, fmt.Errorf("%w: RSA key of %d bits, exponent %d", ErrKey, pub.N.BitLen(), pub.E)
		}
		canon := fmt.Sprintf(`{"kty":"RSA","n":%q,"e":%q}`, enc.EncodeToString(n), enc.EncodeToString(e))
		return &Key{alg: "RS256", pub: pub, jwk: []byte(canon)}, nil
	}
	return nil, fmt.Errorf("%w: kty %q", ErrKey, j.Kty)
}

// Verify checks p's signature with k. The proof's alg must be k's: an RSA
// key never verifies an ES256 proof, nor the reverse.
func (k *Key) Verify(p *Proof) error {
	if p.Alg != k.alg {
		return fmt.Errorf("%w: proof alg %s, key alg %s", ErrSignature, p.Alg, k.alg)
	}
	digest := sha256.Sum256(p.signed)
	switch pub := k.pub.(type) {
	case *ecdsa.PublicKey:
		if len(p.sig) != 64 {
			return ErrSignature
		}
		r, s := new(big.Int).SetBytes(p.sig[:32]), new(big.Int).SetBytes(p.sig[32:])
		if !ecdsa.Verify(pub, digest[:], r, s) {
			return ErrSignature
		}
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], p.sig); err != nil {
			return ErrSignature
		}
	default:
		return ErrSignature
	}
	return nil
}

// VerifyRegistration checks a registration proof: well formed, signed by
// the key its own header carries. It returns that key and the proof (for
// its jti). The authorization claim must equal authorization when the
// offer carried one; the caller checks the jti against its challenges.
func VerifyRegistration(text string) (*Key, *Proof, error) {
	p, err := ParseProof(text)
	if err != nil {
		return nil, nil, err
	}
	if p.JWK == nil {
		return nil, nil, fmt.Errorf("%w: a registration proof must carry its key", ErrKey)
	}
	k, err := ParseJWK(p.JWK)
	if err != nil {
		return nil, nil, err
	}
	if err := k.Verify(p); err != nil {
		return nil, nil, err
	}
	return k, p, nil
}

// VerifyRefresh checks a refresh proof against the session's registered
// key. A proof that carries a jwk is refused whatever it is (even the
// registered key): the spec says a refresh proof has none, and accepting
// one would invite code that trusts it.
func VerifyRefresh(text string, k *Key) (*Proof, error) {
	p, err := ParseProof(text)
	if err != nil {
		return nil, err
	}
	if p.JWK != nil {
		return nil, ErrKeyInRefresh
	}
	if err := k.Verify(p); err != nil {
		return nil, err
	}
	return p, nil
}
