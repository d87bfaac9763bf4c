// Package keyring holds the access-token signing keys: it loads them from
// the store, creates the next one when a rotation turn is due (one per
// turn across every instance sharing the store), seals the private halves
// under the master key, serves them lock-free to the verify path and
// renders the public ones as a JWKS document.
package keyring

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ginsession/ginsession/internal/keycrypto"
	"github.com/ginsession/ginsession/store"
)

// KeyStore is the part of the store the keyring uses: the store contract's
// signing-key concern (store.Keys says each method's guarantees).
type KeyStore = store.Keys

// Options is what a Keyring runs on. Every field is required except
// MasterKey and Logger.
type Options struct {
	Store KeyStore
	// MasterKey seals the private halves at rest; without one they are
	// stored in the clear.
	MasterKey []byte
	// Algorithm is what new keys are generated for (see Supported).
	Algorithm string
	// Rotation is how long each key signs before the next one takes over.
	Rotation time.Duration
	// AccessTTL is the access tokens' lifetime: a key stays published until
	// the last token it signed has expired, and does not sign a token that
	// would outlive it.
	AccessTTL time.Duration
	Now       func() time.Time
	Logger    *slog.Logger // nil: discard
}

// MaxClockSkew is the clock difference tolerated between the instances
// sharing a store: a key another instance made to sign at once may look
// not yet due here by this much, and an access token's iat may be this far
// in the future.
const MaxClockSkew = time.Minute

// Keyring loads signing keys from the store, creates new ones on schedule,
// and serves them lock-free to the verify path.
type Keyring struct {
	opts    Options
	wrapKey []byte // AES key for private keys; nil = stored in the clear
	// firstTurn is the Follows of a key made when none can sign here. It
	// names the algorithm, so that a switch of SigningAlgorithm starts its
	// own chain instead of colliding with the old algorithm's first key
	// (whose turn may still be unexpired), and with a MasterKey a tag
	// derived from it, so that instances on another MasterKey (whose keys
	// are verify-only here) do not take this configuration's first turn.
	firstTurn string
	current   atomic.Pointer[Set]
	mu        sync.Mutex // serialises reloads
	lastMiss  atomic.Int64
	// reloading lets one request reload the periodic snapshot while the
	// others keep using the old one.
	reloading atomic.Bool
}

const (
	keyReloadEvery   = time.Minute
	unknownKidReload = 5 * time.Second
	// keyReloadTimeout bounds one reload of the key set, so a hung
	// database holds no request longer than this.
	keyReloadTimeout = 2 * time.Second
)

// New loads the keys (creating the first one when none can sign here) and
// returns the keyring.
func New(ctx context.Context, opts Options) (*Keyring, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	k := &Keyring{opts: opts, firstTurn: "first " + opts.Algorithm}
	if len(opts.MasterKey) > 0 {
		k.wrapKey = keycrypto.Derive(opts.MasterKey, "ginsession signing-key wrap")
		k.firstTurn += " under master key " + hex.EncodeToString(keycrypto.Derive(opts.MasterKey, "ginsession signing-key first turn")[:8])
	}
	if err := k.reload(ctx, true); err != nil {
		return nil, err
	}
	return k, nil
}

// reloadEvery is how often the key set is re-read: at most half the publish
// lead, so every instance knows a new key before it starts to sign.
func (k *Keyring) reloadEvery() time.Duration {
	if half := k.publishLead() / 2; half < keyReloadEvery {
		return half
	}
	return keyReloadEvery
}

// publishLead is how long before it signs a new key is published.
func (k *Keyring) publishLead() time.Duration {
	lead := k.opts.Rotation / 2
	if lead > 10*time.Minute {
		lead = 10 * time.Minute
	}
	return lead
}

// Snapshot returns the current key set, reloading it first when it is older
// than reloadEvery. A failed reload keeps the keys already loaded: a
// database fault must not stop verification. Signing and the JWKS route
// use it; the verify path uses Lookup, which never waits for a periodic
// reload.
func (k *Keyring) Snapshot(ctx context.Context) *Set {
	ks := k.current.Load()
	if k.opts.Now().Sub(ks.loadedAt) >= k.reloadEvery() && k.reloading.CompareAndSwap(false, true) {
		k.periodicReload(ctx)
		ks = k.current.Load()
	}
	return ks
}

// currentKeys is Snapshot for the verify path: a due reload runs in the
// background and this request verifies with the keys in memory (new keys
// are published reloadEvery*2 ahead of signing, so nothing is missed).
func (k *Keyring) currentKeys() *Set {
	ks := k.current.Load()
	if k.opts.Now().Sub(ks.loadedAt) >= k.reloadEvery() && k.reloading.CompareAndSwap(false, true) {
		go k.periodicReload(context.Background())
	}
	return ks
}

// Knows reports whether kid names a key of the set in memory. It never
// reloads nor reads the store: a request's own bearer value (an API key,
// another system's JWT) must cost nothing.
func (k *Keyring) Knows(kid string) bool {
	return k.current.Load().byID[kid] != nil
}

// periodicReload runs one reload for the caller that won k.reloading.
func (k *Keyring) periodicReload(ctx context.Context) {
	defer k.reloading.Store(false)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), keyReloadTimeout)
	defer cancel()
	if err := k.reload(ctx, true); err != nil {
		k.opts.Logger.Warn("ginsession: signing key reload failed", "err", err)
	}
}

// Lookup finds a key by kid. On a miss it reloads from the store at most once
// per unknownKidReload, so a stream of bogus kids costs no database reads.
func (k *Keyring) Lookup(ctx context.Context, kid string) *Key {
	ks := k.currentKeys()
	if key, ok := ks.byID[kid]; ok {
		return key
	}
	if !ourKid(kid) {
		return nil
	}
	now := k.opts.Now().UnixNano()
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
		k.opts.Logger.Warn("ginsession: signing key reload failed", "err", err)
		return nil
	}
	return k.current.Load().byID[kid]
}

// Signer returns the key to sign with now.
func (k *Keyring) Signer(ctx context.Context) (*Key, error) {
	ks := k.Snapshot(ctx)
	now := k.opts.Now()
	if key := ks.active(now, k.opts.AccessTTL); key != nil {
		return key, nil
	}
	if err := k.reload(ctx, true); err != nil {
		return nil, err
	}
	if key := k.current.Load().active(now, k.opts.AccessTTL); key != nil {
		return key, nil
	}
	// A key another instance made to sign at once is, to a clock a little
	// behind that instance's, not due yet: sign with it rather than fail.
	if key := k.current.Load().active(now.Add(MaxClockSkew), k.opts.AccessTTL); key != nil {
		return key, nil
	}
	return nil, errors.New("ginsession: no usable signing key")
}
