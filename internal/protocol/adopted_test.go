package protocol

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/ginsession/ginsession/internal/sessionhandle"
	"github.com/ginsession/ginsession/store"
)

// A token of another issuer (the SuperTokens core), as the adapter hands it
// over: the row values it may refresh from and the child of ours that
// continues it. The tokens here are plain texts; their hashes stand for the
// issuer's own (the adapter computes the real ones).
type foreignChain struct {
	w      *world
	handle string
	h      [16]byte
}

func hashOf(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// adoptedSession stores a taken-over session whose row holds rowToken's
// hash, as the import writes it (generation 0).
func (w *world) adoptedSession(rowToken string) *foreignChain {
	w.t.Helper()
	h, err := sessionhandle.New()
	if err != nil {
		w.t.Fatal(err)
	}
	c := &foreignChain{w: w, handle: sessionhandle.Format(h[:]), h: h}
	w.rows.put(store.Session{
		Handle: c.handle, UserID: "core-user", RefreshHash: hashOf(rowToken), RotatedAt: w.now.Add(-time.Hour),
		CreatedAt: w.now.Add(-48 * time.Hour), ExpiresAt: w.now.Add(24 * time.Hour),
	})
	return c
}

// present is the request of a token whose parent (or "") is given.
func (c *foreignChain) present(token, parent string, csrf func() bool) Request {
	from := [][]byte{hashOf(token)}
	if parent != "" {
		from = append(from, hashOf(parent))
	}
	return Request{
		Found: 1, FromCookies: true, SessionCookies: true, CSRFProven: true,
		Adopted: &Adopted{Handle: c.handle, From: from, Child: c.w.m.Keys.Adopt(c.h, token), CSRFMatches: csrf},
	}
}

// TestAdoptedTokenRefreshesOnceIntoOurLineage: the issuer's current token,
// or its not yet promoted child, rotates into our lineage (generation 1,
// the row holding our child's hash); the same token inside the grace
// window is answered the same child with nothing written; our child then
// rotates as any token of ours.
func TestAdoptedTokenRefreshesOnceIntoOurLineage(t *testing.T) {
	for _, c := range []struct{ name, row, token, parent string }{
		{"current", "T1", "T1", "T0"},
		{"unpromoted child", "T1", "T2", "T1"},
		{"first token of the session", "T0", "T0", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			s := w.adoptedSession(c.row)
			out := w.refresh(s.present(c.token, c.parent, nil))
			if out.Err != nil {
				t.Fatalf("refresh: %v", out.Err)
			}
			child := out.Rotation.Child
			row, _ := w.rows.get(s.handle)
			if child.Handle != s.handle || child.Generation != 1 || row.Generation != 1 || !bytes.Equal(row.RefreshHash, child.Hash()) {
				t.Fatalf("child %s gen %d; row gen %d, hash is the child's: %v", child.Handle, child.Generation, row.Generation, bytes.Equal(row.RefreshHash, child.Hash()))
			}
			w.now = w.now.Add(grace / 2)
			again := w.refresh(s.present(c.token, c.parent, nil))
			if again.Err != nil || !again.Rotation.Retry || again.Rotation.Child.String() != child.String() {
				t.Fatalf("retry inside grace: err %v, retry %v, same child %v", again.Err, again.Rotation != nil && again.Rotation.Retry, again.Rotation != nil && again.Rotation.Child.String() == child.String())
			}
			if after, _ := w.rows.get(s.handle); after.Generation != 1 {
				t.Fatalf("the retry wrote: generation %d", after.Generation)
			}
			grandchild := w.mustRotate(child)
			if grandchild.Generation != 2 {
				t.Fatalf("our child rotated to generation %d, want 2", grandchild.Generation)
			}
		})
	}
}

// TestAdoptedTokenStaleIsTheft: after the grace window the issuer's token
// is rotated away, and a token the issuer itself had rotated away before
// the switch is stale at once: both revoke the session.
func TestAdoptedTokenStaleIsTheft(t *testing.T) {
	t.Run("replayed after the switch", func(t *testing.T) {
		w := newWorld(t)
		s := w.adoptedSession("T1")
		if out := w.refresh(s.present("T1", "T0", nil)); out.Err != nil {
			t.Fatal(out.Err)
		}
		w.now = w.now.Add(grace + time.Second)
		theft(t, w.refresh(s.present("T1", "T0", nil)), s.handle, ClearFound)
	})
	t.Run("rotated away by the issuer", func(t *testing.T) {
		w := newWorld(t)
		s := w.adoptedSession("T2")
		theft(t, w.refresh(s.present("T1", "T0", nil)), s.handle, ClearFound)
	})
}

// TestAdoptedTokenRefusals: a session that is gone is refused with the
// tokens cleared; a missing anti-CSRF token is refused quietly and changes
// nothing.
func TestAdoptedTokenRefusals(t *testing.T) {
	w := newWorld(t)
	s := w.adoptedSession("T1")
	refusal(t, w.refresh(s.present("T1", "T0", func() bool { return false })), ClearNothing)
	if row, _ := w.rows.get(s.handle); row.Generation != 0 || !bytes.Equal(row.RefreshHash, hashOf("T1")) {
		t.Fatal("a refused refresh changed the row")
	}
	if out := w.refresh(s.present("T1", "T0", func() bool { return true })); out.Err != nil {
		t.Fatalf("with the anti-csrf token: %v", out.Err)
	}
	gone := w.adoptedSession("T1")
	w.rows.mu.Lock()
	delete(w.rows.m, gone.handle)
	w.rows.mu.Unlock()
	refusal(t, w.refresh(gone.present("T1", "T0", nil)), ClearFound)
}

// TestAdoptedTokensOfSeveralSessions: the issuer's tokens of two live
// sessions in one request (a planted cookie beside the user's) rotate
// neither and are refused as nobody's; a stale one among them is theft of
// its session, whichever comes first; one of a session that is gone is
// dropped and the other refreshes.
func TestAdoptedTokensOfSeveralSessions(t *testing.T) {
	t.Run("two live sessions", func(t *testing.T) {
		w := newWorld(t)
		a, b := w.adoptedSession("A1"), w.adoptedSession("B1")
		in := a.present("A1", "", nil)
		in.OtherAdopted = []*Adopted{b.present("B1", "", nil).Adopted}
		refusal(t, w.refresh(in), ClearFound)
		for _, s := range []*foreignChain{a, b} {
			if row, ok := w.rows.get(s.handle); !ok || row.Generation != 0 {
				t.Fatalf("session %s rotated or gone", s.handle)
			}
		}
	})
	t.Run("a stale one second", func(t *testing.T) {
		w := newWorld(t)
		a, b := w.adoptedSession("A1"), w.adoptedSession("B2")
		in := a.present("A1", "", nil)
		in.OtherAdopted = []*Adopted{b.present("B1", "B0", nil).Adopted}
		theft(t, w.refresh(in), b.handle, ClearFound)
		if row, _ := w.rows.get(a.handle); row.Generation != 0 {
			t.Fatal("the other session rotated")
		}
	})
	t.Run("a session that is gone", func(t *testing.T) {
		w := newWorld(t)
		a, b := w.adoptedSession("A1"), w.adoptedSession("B1")
		w.rows.mu.Lock()
		delete(w.rows.m, a.handle)
		w.rows.mu.Unlock()
		in := a.present("A1", "", nil)
		in.OtherAdopted = []*Adopted{b.present("B1", "", nil).Adopted}
		out := w.refresh(in)
		if out.Err != nil || out.Rotation.Row.Handle != b.handle {
			t.Fatalf("the live session's token: %v", out.Err)
		}
	})
	t.Run("no anti-csrf token of any", func(t *testing.T) {
		w := newWorld(t)
		a, b := w.adoptedSession("A1"), w.adoptedSession("B2")
		no := func() bool { return false }
		in := a.present("A1", "", no)
		in.OtherAdopted = []*Adopted{b.present("B1", "B0", no).Adopted}
		refusal(t, w.refresh(in), ClearNothing)
		if _, ok := w.rows.get(b.handle); !ok {
			t.Fatal("a request without the anti-csrf token revoked a session")
		}
	})
}

// TestAdoptedTokenBesideTheOneThatCounts: an issuer's token that came
// beside the counted one is theft when it is stale and names another
// session, and ignored when it names the counted session (a leftover) or
// is current.
func TestAdoptedTokenBesideTheOneThatCounts(t *testing.T) {
	w := newWorld(t)
	counted, leftover, live, victim := w.adoptedSession("C1"), w.adoptedSession("L2"), w.adoptedSession("V1"), w.adoptedSession("S2")
	in := counted.present("C1", "", nil)
	in.ShadowedAdopted = []*Adopted{
		counted.present("C0", "", nil).Adopted,    // stale, but the counted session's
		live.present("V1", "", nil).Adopted,       // current
		leftover.present("L3", "L2", nil).Adopted, // its unpromoted child: not stale
	}
	out := w.refresh(in)
	if out.Err != nil || out.Rotation.Row.Handle != counted.handle {
		t.Fatalf("leftovers and live tokens beside: %v", out.Err)
	}
	w.now = w.now.Add(grace + time.Second)
	in = live.present("V1", "", nil)
	in.ShadowedAdopted = []*Adopted{victim.present("S1", "S0", nil).Adopted}
	theft(t, w.refresh(in), victim.handle, ClearFound)
	if row, _ := w.rows.get(live.handle); row.Generation != 0 {
		t.Fatal("the counted token rotated although the request was theft")
	}
}
