package ginsession

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ginsession/ginsession/internal/keycrypto"
	"github.com/ginsession/ginsession/store"
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

// liveKey is a signing key ready for use.
type liveKey struct {
	id        string
	alg       string
	method    jwt.SigningMethod
	public    crypto.PublicKey
	private   crypto.Signer // nil if it could not be decrypted
	signFrom  time.Time
	expiresAt time.Time
}

// keySet is an immutable snapshot of the keys; replaced atomically.
type keySet struct {
	byID     map[string]*liveKey
	ordered  []*liveKey // by signFrom ascending
	jwks     []byte
	loadedAt time.Time
}

// keyring loads signing keys from the store, creates new ones on schedule,
// and serves them lock-free to the verify path.
type keyring struct {
	st      store.Store
	cfg     *settings
	wrapKey []byte // AES key for private keys; nil = stored in the clear
	// firstTurn is the Follows of a key made when none can sign here. It
	// names the algorithm, so that a switch of SigningAlgorithm starts its
	// own chain instead of colliding with the old algorithm's first key
	// (whose turn may still be unexpired), and with a MasterKey a tag
	// derived from it, so that instances on another MasterKey (whose keys
	// are verify-only here) do not take this configuration's first turn.
	firstTurn string
	current   atomic.Pointer[keySet]
	mu        sync.Mutex // serialises reloads
	lastMiss  atomic.Int64
	// reloading lets one request reload the periodic snapshot while the
	// others keep using the old one.
	reloading atomic.Bool
}

const (
	keyReloadEvery   = time.Minute
	unknownKidReload = 5 * time.Second
	jwksMaxAge       = 60 * time.Second
)

// reloadEvery is how often the key set is re-read: at most half the publish
// lead, so every instance knows a new key before it starts to sign.
func (k *keyring) reloadEvery() time.Duration {
	if half := k.publishLead() / 2; half < keyReloadEvery {
		return half
	}
	return keyReloadEvery
}

// publishLead is how long before it signs a new key is published.
func (k *keyring) publishLead() time.Duration {
	lead := k.cfg.keyRotation / 2
	if lead > 10*time.Minute {
		lead = 10 * time.Minute
	}
	return lead
}

func newKeyring(ctx context.Context, cfg *settings) (*keyring, error) {
	k := &keyring{st: cfg.st, cfg: cfg, firstTurn: "first " + cfg.algorithm}
	if len(cfg.masterKey) > 0 {
		k.wrapKey = keycrypto.Derive(cfg.masterKey, "ginsession signing-key wrap")
		k.firstTurn += " under master key " + hex.EncodeToString(keycrypto.Derive(cfg.masterKey, "ginsession signing-key first turn")[:8])
	}
	if err := k.reload(ctx, true); err != nil {
		return nil, err
	}
	return k, nil
}

// keyReloadTimeout bounds one reload of the key set, so a hung database
// holds no request longer than this.
const keyReloadTimeout = 2 * time.Second

// snapshot returns the current key set, reloading it first when it is older
// than reloadEvery. A failed reload keeps the keys already loaded: a
// database fault must not stop verification. Signing and the JWKS route
// use it; the verify path uses current, which never waits.
func (k *keyring) snapshot(ctx context.Context) *keySet {
	ks := k.current.Load()
	if k.cfg.now().Sub(ks.loadedAt) >= k.reloadEvery() && k.reloading.CompareAndSwap(false, true) {
		k.periodicReload(ctx)
		ks = k.current.Load()
	}
	return ks
}

// currentKeys is snapshot for the verify path: a due reload runs in the
// background and this request verifies with the keys in memory (new keys
// are published reloadEvery*2 ahead of signing, so nothing is missed).
func (k *keyring) currentKeys() *keySet {
	ks := k.current.Load()
	if k.cfg.now().Sub(ks.loadedAt) >= k.reloadEvery() && k.reloading.CompareAndSwap(false, true) {
		go k.periodicReload(context.Background())
	}
	return ks
}

// periodicReload runs one reload for the caller that won k.reloading.
func (k *keyring) periodicReload(ctx context.Context) {
	defer k.reloading.Store(false)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), keyReloadTimeout)
	defer cancel()
	if err := k.reload(ctx, true); err != nil {
		k.cfg.logger.Warn("ginsession: signing key reload failed", "err", err)
	}
}

// lookup finds a key by kid. On a miss it reloads from the store at most once
// per unknownKidReload, so a stream of bogus kids costs no database reads.
func (k *keyring) lookup(ctx context.Context, kid string) *liveKey {
	ks := k.currentKeys()
	if key, ok := ks.byID[kid]; ok {
		return key
	}
	if len(kid) != 32 { // our kids are 32 hex characters
		return nil
	}
	now := k.cfg.now().UnixNano()
	last := k.lastMiss.Load()
	if now-last < int64(unknownKidReload) || !k.lastMiss.CompareAndSwap(last, now) {
		// Another request is (or just was) reloading: wait for that reload
		// to finish and look again, rather than refuse a token signed by a
		// key another instance has just started to use.
		k.mu.Lock()
		k.mu.Unlock() //nolint:staticcheck // an intentional wait for an in-flight reload
		return k.current.Load().byID[kid]
	}
	ctx, cancel := context.WithTimeout(ctx, keyReloadTimeout)
	defer cancel()
	if err := k.reload(ctx, false); err != nil {
		k.cfg.logger.Warn("ginsession: signing key reload failed", "err", err)
		return nil
	}
	return k.current.Load().byID[kid]
}

// signer returns the key to sign with now.
func (k *keyring) signer(ctx context.Context) (*liveKey, error) {
	ks := k.snapshot(ctx)
	now := k.cfg.now()
	if key := ks.active(now, k.cfg.accessTTL); key != nil {
		return key, nil
	}
	if err := k.reload(ctx, true); err != nil {
		return nil, err
	}
	if key := k.current.Load().active(now, k.cfg.accessTTL); key != nil {
		return key, nil
	}
	// A key another instance made to sign at once is, to a clock a little
	// behind that instance's, not due yet: sign with it rather than fail.
	if key := k.current.Load().active(now.Add(maxClockSkew), k.cfg.accessTTL); key != nil {
		return key, nil
	}
	return nil, errors.New("ginsession: no usable signing key")
}

// active is the newest key that may sign now and outlives a token signed now.
func (ks *keySet) active(now time.Time, ttl time.Duration) *liveKey {
	for i := len(ks.ordered) - 1; i >= 0; i-- {
		key := ks.ordered[i]
		if key.private != nil && !key.signFrom.After(now) && key.expiresAt.After(now.Add(ttl)) {
			return key
		}
	}
	return nil
}

// reload reads the keys from the store; with rotate it also creates the next
// key when one is due.
func (k *keyring) reload(ctx context.Context, rotate bool) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.cfg.now()
	rows, err := k.st.SigningKeys(ctx, now)
	if err != nil {
		return fmt.Errorf("ginsession: loading signing keys: %w", err)
	}
	if rotate {
		// Only keys this instance can sign with decide the rotation: a key
		// stored in the clear before MasterKey was set (or sealed under
		// another MasterKey) is verify-only here, and waiting for its turn
		// to end would leave the instance with no signing key for days.
		if next, follows, due := k.nextKeyDue(k.signable(rows), now); due {
			row, err := k.generate(next, follows)
			if err != nil {
				return err
			}
			// The store takes one key per Follows: an instance that lost
			// the race for this turn (ErrConflict) uses the winner's key.
			if err := k.st.AddSigningKey(ctx, row); err != nil && !errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("ginsession: storing a new signing key: %w", err)
			}
			if rows, err = k.st.SigningKeys(ctx, now); err != nil {
				return fmt.Errorf("ginsession: loading signing keys: %w", err)
			}
		}
	}
	ks := &keySet{byID: map[string]*liveKey{}, loadedAt: now}
	var jwks struct {
		Keys []map[string]string `json:"keys"`
	}
	jwks.Keys = []map[string]string{}
	for _, row := range rows {
		key, err := k.parse(row)
		if err != nil {
			k.cfg.logger.Warn("ginsession: skipping unreadable signing key", "kid", row.ID, "err", err)
			continue
		}
		ks.byID[key.id] = key
		ks.ordered = append(ks.ordered, key)
		jwk, err := publicJWK(key)
		if err != nil {
			return err
		}
		jwks.Keys = append(jwks.Keys, jwk)
	}
	ks.jwks, err = json.Marshal(jwks)
	if err != nil {
		return err
	}
	k.current.Store(ks)
	return nil
}

// signable returns the rows whose private key this instance can use.
func (k *keyring) signable(rows []store.SigningKey) []store.SigningKey {
	out := make([]store.SigningKey, 0, len(rows))
	for _, row := range rows {
		if key, err := k.parse(row); err == nil && key.private != nil {
			out = append(out, row)
		}
	}
	return out
}

// nextKeyDue decides whether a new key must be created, when it signs from,
// and the turn it starts (its Follows: the newest key, or firstTurn when
// there is none). The next key is created publishLead before the newest
// key's turn ends, so every instance and JWKS consumer sees it before it
// signs.
func (k *keyring) nextKeyDue(rows []store.SigningKey, now time.Time) (time.Time, string, bool) {
	var newest *store.SigningKey
	for i := range rows {
		if rows[i].Algorithm == k.cfg.algorithm && (newest == nil || rows[i].SignFrom.After(newest.SignFrom)) {
			newest = &rows[i]
		}
	}
	if newest == nil {
		return now, k.firstTurn, true // nothing usable: sign at once
	}
	if newest.ExpiresAt.Before(now.Add(k.cfg.accessTTL + time.Minute)) {
		return now, newest.ID, true
	}
	turnEnds := newest.SignFrom.Add(k.cfg.keyRotation)
	if now.Before(turnEnds.Add(-k.publishLead())) {
		return time.Time{}, "", false
	}
	if turnEnds.Before(now) {
		turnEnds = now
	}
	return turnEnds, newest.ID, true
}

func (k *keyring) generate(signFrom time.Time, follows string) (*store.SigningKey, error) {
	alg := algorithms[k.cfg.algorithm]
	priv, err := alg.generate()
	if err != nil {
		return nil, fmt.Errorf("ginsession: generating a %s key: %w", k.cfg.algorithm, err)
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
	kid := hex.EncodeToString(id)
	if k.wrapKey != nil {
		if privDER, err = keycrypto.Seal(k.wrapKey, privDER, []byte(kid)); err != nil {
			return nil, err
		}
	}
	now := k.cfg.now()
	return &store.SigningKey{
		ID:         kid,
		Algorithm:  k.cfg.algorithm,
		PrivateKey: privDER,
		PublicKey:  pubDER,
		CreatedAt:  now,
		SignFrom:   signFrom,
		// Signs for one interval, then stays published until the last token
		// it signed has expired, plus a minute for clock differences.
		ExpiresAt: signFrom.Add(k.cfg.keyRotation + k.cfg.accessTTL + time.Minute),
		Follows:   follows,
	}, nil
}

func (k *keyring) parse(row store.SigningKey) (*liveKey, error) {
	alg, ok := algorithms[row.Algorithm]
	if !ok {
		return nil, fmt.Errorf("unknown algorithm %q", row.Algorithm)
	}
	pub, err := x509.ParsePKIXPublicKey(row.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	key := &liveKey{id: row.ID, alg: row.Algorithm, method: alg.method, public: pub, signFrom: row.SignFrom, expiresAt: row.ExpiresAt}
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
			key.private = signer
		}
	}
	return key, nil
}
