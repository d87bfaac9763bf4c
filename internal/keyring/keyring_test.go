package keyring

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newTestRing is a keyring on st with a week's rotation and one-hour
// tokens (the engine's defaults), on c's clock; mutate changes the options.
func newTestRing(t *testing.T, st KeyStore, c *clock, mutate func(*Options)) *Keyring {
	t.Helper()
	opts := Options{Store: st, Algorithm: "ES256", Rotation: 7 * 24 * time.Hour, AccessTTL: time.Hour, Now: c.now}
	if mutate != nil {
		mutate(&opts)
	}
	k, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestPublishLeadAndReloadEvery(t *testing.T) {
	for _, tc := range []struct {
		rotation, lead, reload time.Duration
	}{
		{time.Minute, 30 * time.Second, 15 * time.Second},
		{3 * time.Minute, 90 * time.Second, 45 * time.Second},
		{10 * time.Minute, 5 * time.Minute, time.Minute},
		{7 * 24 * time.Hour, 10 * time.Minute, time.Minute}, // the lead is capped
	} {
		k := &Keyring{opts: Options{Rotation: tc.rotation}}
		if got := k.publishLead(); got != tc.lead {
			t.Errorf("rotation %v: publish lead %v, want %v", tc.rotation, got, tc.lead)
		}
		if got := k.reloadEvery(); got != tc.reload {
			t.Errorf("rotation %v: reload every %v, want %v", tc.rotation, got, tc.reload)
		}
	}
}

func TestNextKeyDue(t *testing.T) {
	const rotation = 7 * 24 * time.Hour
	lead := 10 * time.Minute
	key := func(id, alg string, signFrom time.Time) store.SigningKey {
		return store.SigningKey{ID: id, Algorithm: alg, SignFrom: signFrom, ExpiresAt: signFrom.Add(rotation + time.Hour + time.Minute)}
	}
	turnEnds := t0.Add(-24 * time.Hour).Add(rotation)
	for _, tc := range []struct {
		name    string
		rows    []store.SigningKey
		now     time.Time
		due     bool
		from    time.Time
		follows string
	}{
		{"no key: sign at once", nil, t0, true, t0, "first ES256"},
		{"only another algorithm's key: a chain of its own", []store.SigningKey{key("rsa", "RS256", t0.Add(-time.Hour))}, t0, true, t0, "first ES256"},
		{"mid-turn: nothing due", []store.SigningKey{key("a", "ES256", t0.Add(-24*time.Hour))}, t0, false, time.Time{}, ""},
		{"just before the publish lead: nothing due", []store.SigningKey{key("a", "ES256", t0.Add(-24*time.Hour))}, turnEnds.Add(-lead - time.Second), false, time.Time{}, ""},
		{"within the publish lead: due at the turn's end", []store.SigningKey{key("a", "ES256", t0.Add(-24*time.Hour))}, turnEnds.Add(-lead + time.Second), true, turnEnds, "a"},
		{"turn over: due at once", []store.SigningKey{key("a", "ES256", t0.Add(-24*time.Hour))}, turnEnds.Add(time.Hour), true, turnEnds.Add(time.Hour), "a"},
		{"the newest key follows", []store.SigningKey{key("a", "ES256", t0.Add(-24*time.Hour)), key("b", "ES256", turnEnds)}, turnEnds.Add(time.Minute), false, time.Time{}, ""},
		{"newest expires before a token signed now would: due at once", []store.SigningKey{{ID: "a", Algorithm: "ES256", SignFrom: t0.Add(-time.Hour), ExpiresAt: t0.Add(time.Hour)}}, t0, true, t0, "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := &Keyring{opts: Options{Algorithm: "ES256", Rotation: rotation, AccessTTL: time.Hour}, firstTurn: "first ES256"}
			from, follows, due := k.nextKeyDue(tc.rows, tc.now)
			if due != tc.due || !from.Equal(tc.from) || follows != tc.follows {
				t.Fatalf("got (%v, %q, %v), want (%v, %q, %v)", from, follows, due, tc.from, tc.follows, tc.due)
			}
		})
	}
}

// TestRotationTurns follows one key's life on a clock: the next key is
// published a lead ahead of its turn, signs from the turn's end, and the
// old key leaves the set and the JWKS once it has expired.
func TestRotationTurns(t *testing.T) {
	st := &memKeys{}
	c := &clock{t: t0}
	const rotation = time.Hour
	k := newTestRing(t, st, c, func(o *Options) { o.Rotation = rotation; o.AccessTTL = 10 * time.Minute })
	ctx := context.Background()
	first, err := k.Signer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !first.SignFrom.Equal(t0) || first.Private == nil {
		t.Fatalf("first key signs from %v (private %v), want %v", first.SignFrom, first.Private != nil, t0)
	}
	if want := t0.Add(rotation + 10*time.Minute + time.Minute); !first.ExpiresAt.Equal(want) {
		t.Fatalf("first key expires at %v, want %v", first.ExpiresAt, want)
	}

	steps := []struct {
		at        time.Duration // after t0
		keys      int           // in the set
		signer    string        // "first" or "second"
		published []string
	}{
		// The lead is 10m; the steps are more than reloadEvery (1m) apart,
		// so each Snapshot rereads the store.
		{rotation - 10*time.Minute - 2*time.Minute, 1, "first", []string{"first"}},
		{rotation - 10*time.Minute + time.Second, 2, "first", []string{"first", "second"}},
		{rotation + time.Second, 2, "second", []string{"first", "second"}},
		{rotation + 11*time.Minute + time.Second, 1, "second", []string{"second"}}, // first expired
	}
	var second string
	for _, s := range steps {
		c.t = t0.Add(s.at)
		ks := k.Snapshot(ctx)
		if len(ks.ordered) != s.keys {
			t.Fatalf("at +%v: %d keys, want %d", s.at, len(ks.ordered), s.keys)
		}
		if s.keys == 2 && second == "" {
			second = ks.ordered[1].ID
			if want := t0.Add(rotation); !ks.ordered[1].SignFrom.Equal(want) {
				t.Fatalf("second key signs from %v, want %v", ks.ordered[1].SignFrom, want)
			}
		}
		name := map[string]string{first.ID: "first", second: "second"}
		signer, err := k.Signer(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if name[signer.ID] != s.signer {
			t.Fatalf("at +%v: signs with %s, want %s", s.at, name[signer.ID], s.signer)
		}
		var doc struct {
			Keys []struct{ Kid string } `json:"keys"`
		}
		if err := json.Unmarshal(ks.JWKS(), &doc); err != nil {
			t.Fatal(err)
		}
		var published []string
		for _, j := range doc.Keys {
			published = append(published, name[j.Kid])
		}
		if len(published) != len(s.published) || (len(published) > 0 && published[0] != s.published[0]) || published[len(published)-1] != s.published[len(s.published)-1] {
			t.Fatalf("at +%v: JWKS publishes %v, want %v", s.at, published, s.published)
		}
		if k.Knows(first.ID) != (s.keys == 2 || s.signer == "first") {
			t.Fatalf("at +%v: Knows(first) = %v", s.at, k.Knows(first.ID))
		}
	}
}

// TestOneKeyPerTurn: instances sharing a store that start together make
// one first key; the loser of the race signs with the winner's.
func TestOneKeyPerTurn(t *testing.T) {
	st := &memKeys{}
	c := &clock{t: t0}
	a := newTestRing(t, st, c, nil)
	b := newTestRing(t, st, c, nil)
	if rows, _ := st.count(); rows != 1 {
		t.Fatalf("%d keys stored, want 1", rows)
	}
	ka, _ := a.Signer(context.Background())
	kb, _ := b.Signer(context.Background())
	if ka.ID != kb.ID {
		t.Fatalf("instances sign with %s and %s", ka.ID, kb.ID)
	}
}

// TestMasterKey: private halves are sealed under the master key; an
// instance on another master key (or none) can verify with them but not
// sign, and starts a turn of its own instead of waiting for theirs.
func TestMasterKey(t *testing.T) {
	st := &memKeys{}
	c := &clock{t: t0}
	mk := func(b byte) []byte {
		k := make([]byte, 32)
		for i := range k {
			k[i] = b
		}
		return k
	}
	a := newTestRing(t, st, c, func(o *Options) { o.MasterKey = mk(1) })
	ka, err := a.Signer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if clear, err := (&Keyring{}).parse(st.rows[0]); err != nil || clear.Private != nil {
		t.Fatal("a sealed private key parsed without the master key")
	}
	for _, other := range [][]byte{mk(2), nil} {
		b := newTestRing(t, st, c, func(o *Options) { o.MasterKey = other })
		kb, err := b.Signer(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if kb.ID == ka.ID {
			t.Fatalf("master key %v signs with another master key's key", other)
		}
		if got := b.Lookup(context.Background(), ka.ID); got == nil || got.Private != nil {
			t.Fatalf("master key %v: the other key is %+v, want verify-only", other, got)
		}
	}
	if rows, _ := st.count(); rows != 3 {
		t.Fatalf("%d keys stored, want one per master key (3)", rows)
	}
}

// TestUnknownKidReloads: a miss on a kid of our shape reloads from the
// store at most once per unknownKidReload; other kids never do.
func TestUnknownKidReloads(t *testing.T) {
	st := &memKeys{}
	c := &clock{t: t0}
	k := newTestRing(t, st, c, nil)
	ctx := context.Background()
	_, before := st.count()
	for range 100 {
		k.Lookup(ctx, "not-our-shape")
	}
	if _, after := st.count(); after != before {
		t.Fatalf("%d store reads for kids not of our shape", after-before)
	}
	for range 100 {
		k.Lookup(ctx, "0123456789abcdef0123456789abcdef")
	}
	if _, after := st.count(); after != before+1 {
		t.Fatalf("%d store reads for 100 misses within %v, want 1", after-before, unknownKidReload)
	}
	c.advance(unknownKidReload)
	k.Lookup(ctx, "0123456789abcdef0123456789abcdef")
	if _, after := st.count(); after != before+2 {
		t.Fatalf("%d store reads after %v, want 2", after-before, unknownKidReload)
	}
	// The prefixed shape (KidPrefix and 32 hex characters) reloads too;
	// the prefix before anything else does not.
	c.advance(unknownKidReload)
	k.Lookup(ctx, KidPrefix+"0123456789abcdef0123456789abcdef")
	if _, after := st.count(); after != before+3 {
		t.Fatalf("%d store reads after a prefixed kid, want 3", after-before)
	}
	c.advance(unknownKidReload)
	k.Lookup(ctx, KidPrefix+"0123456789abcdef0123456789abcdeg")
	k.Lookup(ctx, "s-0123456789abcdef0123456789abcdef")
	if _, after := st.count(); after != before+3 {
		t.Fatalf("%d store reads after kids not of our shape, want still 3", after-before)
	}
}

// TestAlgorithms: every supported algorithm makes keys that sign, and the
// JWKS publishes each with its own key type.
func TestAlgorithms(t *testing.T) {
	for alg, kty := range map[string]string{"ES256": "EC", "RS256": "RSA", "EdDSA": "OKP"} {
		t.Run(alg, func(t *testing.T) {
			if !Supported(alg) {
				t.Fatalf("%s not supported", alg)
			}
			k := newTestRing(t, &memKeys{}, &clock{t: t0}, func(o *Options) { o.Algorithm = alg })
			key, err := k.Signer(context.Background())
			if err != nil || key.Algorithm != alg || key.Method.Alg() != alg {
				t.Fatalf("signer %+v, %v", key, err)
			}
			var doc struct {
				Keys []map[string]string `json:"keys"`
			}
			if err := json.Unmarshal(k.Snapshot(context.Background()).JWKS(), &doc); err != nil || len(doc.Keys) != 1 {
				t.Fatalf("JWKS %s: %v", k.Snapshot(context.Background()).JWKS(), err)
			}
			if j := doc.Keys[0]; j["kty"] != kty || j["alg"] != alg || j["kid"] != key.ID || j["use"] != "sig" {
				t.Fatalf("JWK %v", j)
			}
		})
	}
	if Supported("HS256") || Supported("none") {
		t.Fatal("a symmetric or empty algorithm is supported")
	}
}

// TestNewKeysAreNamedDynamic: a key the ring makes has a kid of KidPrefix
// and 32 hex characters, the shape supertokens-node takes for a rotating
// key, and verifies under that kid.
func TestNewKeysAreNamedDynamic(t *testing.T) {
	k := newTestRing(t, &memKeys{}, &clock{t: t0}, nil)
	key, err := k.Signer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key.ID, "d-") || len(key.ID) != 34 || !ourKid(key.ID) {
		t.Fatalf("kid %q, want d- and 32 hex characters", key.ID)
	}
	if got := k.Lookup(context.Background(), key.ID); got != key {
		t.Fatalf("Lookup(%q) = %v, want the signer", key.ID, got)
	}
}
