package protocol

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ginsession/ginsession/internal/refreshtoken"
	"github.com/ginsession/ginsession/internal/sessionhandle"
	"github.com/ginsession/ginsession/store"
)

// world is one machine over an in-memory store, with a clock the test moves.
type world struct {
	t    *testing.T
	rows *rows
	now  time.Time
	m    *Machine
}

const grace = 10 * time.Second

func newWorld(t *testing.T) *world {
	w := &world{t: t, rows: newRows(), now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	w.m = &Machine{
		Sessions: w.rows,
		Keys:     refreshtoken.NewKeys([]byte("protocol test secret, 32 bytes!!")),
		Now:      func() time.Time { return w.now },
		Lifetimes: Lifetimes{
			Refresh: 100 * 24 * time.Hour, BrowserIdle: 24 * time.Hour, Grace: grace,
		},
	}
	return w
}

// session stores a new session and returns its first refresh token.
func (w *world) session(userID string, only bool) *refreshtoken.Token {
	w.t.Helper()
	h, err := sessionhandle.New()
	if err != nil {
		w.t.Fatal(err)
	}
	tok, err := w.m.Keys.New(h)
	if err != nil {
		w.t.Fatal(err)
	}
	w.rows.put(store.Session{
		Handle: tok.Handle, UserID: userID, RefreshHash: tok.Hash(), RotatedAt: w.now, CreatedAt: w.now,
		ExpiresAt: w.now.Add(100 * 24 * time.Hour), BrowserSessionOnly: only,
	})
	return tok
}

// cookies is a proven cookie request carrying toks.
func cookies(toks ...*refreshtoken.Token) Request {
	return Request{Found: len(toks), Tokens: toks, FromCookies: true, SessionCookies: true, CSRFProven: true}
}

func (w *world) refresh(in Request) Outcome {
	w.t.Helper()
	return w.m.Refresh(context.Background(), in)
}

// mustRotate refreshes with tok alone and returns the child issued.
func (w *world) mustRotate(tok *refreshtoken.Token) *refreshtoken.Token {
	w.t.Helper()
	out := w.refresh(cookies(tok))
	if out.Err != nil {
		w.t.Fatalf("refresh: %v", out.Err)
	}
	return out.Rotation.Child
}

func refusal(t *testing.T, out Outcome, clear Clear) *Refusal {
	t.Helper()
	var r *Refusal
	if !errors.As(out.Err, &r) {
		t.Fatalf("want a refusal, got %v", out.Err)
	}
	if r.Clear != clear {
		t.Fatalf("refusal %q clears %v, want %v", r.Reason, r.Clear, clear)
	}
	if out.Rotation != nil {
		t.Fatal("a refusal came with a rotation")
	}
	return r
}

func theft(t *testing.T, out Outcome, handle string, clear Clear) {
	t.Helper()
	var th *Theft
	if !errors.As(out.Err, &th) {
		t.Fatalf("want theft, got %v", out.Err)
	}
	if th.Handle != handle || th.Clear != clear {
		t.Fatalf("theft of %s clearing %v, want %s clearing %v", th.Handle, th.Clear, handle, clear)
	}
	if len(out.Thefts) == 0 || out.Thefts[0].Handle != handle {
		t.Fatalf("Thefts = %+v: the theft to announce is missing", out.Thefts)
	}
}

func TestRefreshRotatesTheCurrentToken(t *testing.T) {
	w := newWorld(t)
	tok := w.session("u1", false)
	in := cookies(tok)
	in.Client = Client{UserAgent: "ua", IP: "192.0.2.1"}
	out := w.refresh(in)
	if out.Err != nil || out.Rotation == nil || out.Rotation.Retry {
		t.Fatalf("outcome %+v", out)
	}
	row, _ := w.rows.get(tok.Handle)
	if !bytes.Equal(row.RefreshHash, out.Rotation.Child.Hash()) || row.Generation != 1 || row.RefreshedUserAgent != "ua" || row.RefreshedIP != "192.0.2.1" {
		t.Fatalf("row after the rotation: %+v", row)
	}
	if !out.Rotation.Expires.Equal(w.now.Add(100*24*time.Hour)) || out.ClearStrays || out.ClearLegacy || out.ClearCookiesBeside {
		t.Fatalf("outcome %+v", out)
	}
}

func TestRefreshRetryInsideGraceWritesNothing(t *testing.T) {
	w := newWorld(t)
	tok := w.session("u1", false)
	child := w.mustRotate(tok)
	w.now = w.now.Add(grace)
	out := w.refresh(cookies(tok))
	if out.Err != nil || !out.Rotation.Retry || out.Rotation.Child.String() != child.String() {
		t.Fatalf("retry: %+v", out)
	}
	if w.rows.writes != 1 {
		t.Fatalf("%d writes, want the first rotation's only", w.rows.writes)
	}
}

func TestRefreshStaleTokenIsTheft(t *testing.T) {
	w := newWorld(t)
	tok := w.session("u1", false)
	w.mustRotate(tok)
	w.now = w.now.Add(grace + time.Second)
	out := w.refresh(cookies(tok))
	theft(t, out, tok.Handle, ClearFound)
	if _, ok := w.rows.get(tok.Handle); ok {
		t.Fatal("the session survived theft")
	}
	if out.Thefts[0].Generation != 0 || out.Thefts[0].CurrentGeneration != 1 || out.Thefts[0].UserID != "u1" {
		t.Fatalf("theft %+v", out.Thefts[0])
	}
}

func TestRefreshNewerThanTheRowIsNotTheft(t *testing.T) {
	w := newWorld(t)
	tok := w.session("u1", false)
	backup, _ := w.rows.get(tok.Handle)
	child := w.mustRotate(tok)
	w.rows.put(backup) // the database restored from before the rotation
	out := w.refresh(cookies(child))
	refusal(t, out, ClearFound)
	if _, ok := w.rows.get(tok.Handle); !ok || len(out.Thefts) != 0 {
		t.Fatal("a restored database was taken for theft")
	}
}

func TestRefreshGoneSession(t *testing.T) {
	w := newWorld(t)
	tok := w.session("u1", false)
	w.rows.DeleteSession(context.Background(), tok.Handle)
	refusal(t, w.refresh(cookies(tok)), ClearFound)
}

// The requests that must not change anything: a forged form, a token that
// is not ours, a missing anti-csrf token.
func TestRefreshRefusalsChangeNothing(t *testing.T) {
	w := newWorld(t)
	tok := w.session("u1", false)
	before, _ := w.rows.get(tok.Handle)
	noRID := cookies(tok)
	noRID.CSRFProven = false
	wrongToken := cookies(tok)
	wrongToken.AntiCSRF = func(string) bool { return false }
	cases := []struct {
		name  string
		in    Request
		clear Clear
	}{
		{"no token at all", Request{CSRFProven: true}, ClearNothing},
		{"no refresh token, other session cookies, proven", Request{SessionCookies: true, CSRFProven: true}, ClearCookies},
		{"no refresh token, session cookies, forged", Request{SessionCookies: true}, ClearNothing},
		{"cookies without the rid header", noRID, ClearNothing},
		{"a bearer that is not ours", Request{Found: 1}, ClearFound},
		{"cookies without the session's anti-csrf token", wrongToken, ClearNothing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := w.refresh(c.in)
			refusal(t, out, c.clear)
			if out.ClearStrays {
				t.Fatal("a refused request clears strays")
			}
			if after, _ := w.rows.get(tok.Handle); after.Generation != before.Generation {
				t.Fatal("the session rotated")
			}
		})
	}
	if w.rows.writes+w.rows.deletes != 0 {
		t.Fatalf("%d writes, %d deletes", w.rows.writes, w.rows.deletes)
	}
	// The legacy cookie goes only for a proven request.
	if out := w.refresh(Request{CSRFProven: true}); !out.ClearLegacy {
		t.Fatal("proven request: sIdRefreshToken kept")
	}
	if out := w.refresh(Request{}); out.ClearLegacy {
		t.Fatal("forged request: sIdRefreshToken cleared")
	}
	ok := cookies(tok)
	ok.AntiCSRF = func(h string) bool { return h == tok.Handle }
	if out := w.refresh(ok); out.Err != nil {
		t.Fatalf("the session's own anti-csrf token: %v", out.Err)
	}
}

func TestRefreshDuplicatesClearStrays(t *testing.T) {
	w := newWorld(t)
	tok := w.session("u1", false)
	child := w.mustRotate(tok)
	// The live cookie and the leftover of an older cookie domain: the live
	// one rotates, the stale one is excused, the strays go.
	out := w.refresh(cookies(tok, child))
	if out.Err != nil || !out.ClearStrays {
		t.Fatalf("outcome %+v", out)
	}
	dupAccess := cookies(out.Rotation.Child)
	dupAccess.DuplicateAccess = true
	if out := w.refresh(dupAccess); out.Err != nil || !out.ClearStrays {
		t.Fatalf("a duplicated access cookie: %+v", out)
	}
}

func TestRefreshMixedSessions(t *testing.T) {
	t.Run("two live sessions are nobody's", func(t *testing.T) {
		w := newWorld(t)
		a, b := w.session("u1", false), w.session("u2", false)
		out := w.refresh(cookies(a, b))
		if r := refusal(t, out, ClearFound); !errors.Is(r, ErrAmbiguous) {
			t.Fatalf("reason %v", r.Reason)
		}
		if !out.ClearStrays || w.rows.writes != 0 {
			t.Fatal("strays kept or a session rotated")
		}
	})
	t.Run("a gone session's leftover is dropped", func(t *testing.T) {
		w := newWorld(t)
		a, b := w.session("u1", false), w.session("u2", false)
		w.rows.DeleteSession(context.Background(), b.Handle)
		out := w.refresh(cookies(b, a))
		if out.Err != nil || out.Rotation.Row.Handle != a.Handle {
			t.Fatalf("outcome %+v", out)
		}
	})
	t.Run("a stale token among them is theft", func(t *testing.T) {
		w := newWorld(t)
		a, b := w.session("victim", false), w.session("thief", false)
		w.mustRotate(a)
		w.now = w.now.Add(time.Minute)
		out := w.refresh(cookies(b, a))
		theft(t, out, a.Handle, ClearFound)
		if _, ok := w.rows.get(b.Handle); !ok {
			t.Fatal("the other session was revoked")
		}
	})
	t.Run("overflow looks at every cookie", func(t *testing.T) {
		w := newWorld(t)
		victim := w.session("victim", false)
		w.mustRotate(victim)
		w.now = w.now.Add(time.Minute)
		own := []*refreshtoken.Token{w.session("thief", false), w.session("thief", false), w.session("thief", false), w.session("thief", false)}
		in := cookies(own...)
		in.Overflow = true
		in.AllCookies = func() ([]*refreshtoken.Token, bool) { return append(own, victim), false }
		theft(t, w.refresh(in), victim.Handle, ClearFound)
	})
	// Past MaxWider the cookies are not all seen: copies of one other
	// session sent first would make the request that session's (its
	// tokens issued to the user's browser) and hide the user's own or a
	// stale one. Nothing is rotated. Found by an outside trial: 32 copies
	// of another live session's cookie before the user's rotated that
	// session.
	t.Run("cookies past the bound make it nobody's", func(t *testing.T) {
		w := newWorld(t)
		other := w.session("other", false)
		w.session("user", false)
		own := []*refreshtoken.Token{other, other, other, other}
		in := cookies(own...)
		in.Overflow = true
		in.AllCookies = func() ([]*refreshtoken.Token, bool) {
			seen := make([]*refreshtoken.Token, MaxWider)
			for i := range seen {
				seen[i] = other
			}
			return seen, true // the user's own came after them
		}
		out := w.refresh(in)
		if r := refusal(t, out, ClearFound); !errors.Is(r, ErrTooManyCookies) {
			t.Fatalf("reason %v", r.Reason)
		}
		if w.rows.writes != 0 || !out.ClearStrays {
			t.Fatalf("a session rotated, or the strays stay: %+v", out)
		}
	})
}

// A bearer wins over cookies, but a stale cookie beside it is still theft.
func TestRefreshShadowedCookies(t *testing.T) {
	w := newWorld(t)
	victim, thief := w.session("victim", false), w.session("thief", false)
	w.mustRotate(victim)
	w.now = w.now.Add(time.Minute)
	in := Request{Found: 1, Tokens: []*refreshtoken.Token{thief}, CookiesBeside: true, SessionCookies: true,
		AllCookies: func() ([]*refreshtoken.Token, bool) { return []*refreshtoken.Token{victim}, false }}
	theft(t, w.refresh(in), victim.Handle, ClearEverywhere)
	// The bearer's own stale cookie is left to its rotation, which succeeds
	// and asks for the cookies beside it to go.
	w2 := newWorld(t)
	tok := w2.session("u", false)
	in = Request{Found: 1, Tokens: []*refreshtoken.Token{tok}, CookiesBeside: true, SessionCookies: true,
		AllCookies: func() ([]*refreshtoken.Token, bool) { return []*refreshtoken.Token{tok}, false }}
	if out := w2.refresh(in); out.Err != nil || !out.ClearCookiesBeside {
		t.Fatalf("outcome %+v", out)
	}
	// More cookies beside the bearer than are looked at: a stale one could
	// be past the bound, so the bearer's session is not rotated either.
	w3 := newWorld(t)
	bearer := w3.session("u", false)
	in = Request{Found: 1, Tokens: []*refreshtoken.Token{bearer}, CookiesBeside: true, SessionCookies: true,
		AllCookies: func() ([]*refreshtoken.Token, bool) { return []*refreshtoken.Token{bearer}, true }}
	out := w3.refresh(in)
	if r := refusal(t, out, ClearEverywhere); !errors.Is(r, ErrTooManyCookies) || w3.rows.writes != 0 {
		t.Fatalf("reason %v, writes %d", r.Reason, w3.rows.writes)
	}
}

func TestRefreshLifetimes(t *testing.T) {
	t.Run("browser-session-only slides by the idle time", func(t *testing.T) {
		w := newWorld(t)
		tok := w.session("u", true)
		out := w.refresh(cookies(tok))
		if out.Err != nil || !out.Rotation.Expires.Equal(w.now.Add(24*time.Hour)) {
			t.Fatalf("outcome %+v", out)
		}
	})
	t.Run("never past the maximum age", func(t *testing.T) {
		w := newWorld(t)
		w.m.Lifetimes.MaxAge = 30 * 24 * time.Hour
		tok := w.session("u", false)
		created := w.now
		w.now = w.now.Add(29 * 24 * time.Hour)
		out := w.refresh(cookies(tok))
		if out.Err != nil || !out.Rotation.Expires.Equal(created.Add(30*24*time.Hour)) {
			t.Fatalf("outcome %+v", out)
		}
		w.now = created.Add(30 * 24 * time.Hour)
		refusal(t, w.refresh(cookies(out.Rotation.Child)), ClearFound)
	})
	t.Run("a row that outlived its maximum age is ended", func(t *testing.T) {
		// Left by an instance without MaxSessionAge (a rolling deploy): the
		// stored expiry is far ahead, the creation time too old.
		w := newWorld(t)
		tok := w.session("u", false)
		w.m.Lifetimes.MaxAge = 30 * 24 * time.Hour
		w.now = w.now.Add(31 * 24 * time.Hour)
		refusal(t, w.refresh(cookies(tok)), ClearFound)
		if _, ok := w.rows.get(tok.Handle); ok {
			t.Fatal("a session past its maximum age was kept")
		}
	})
}

// A store that fails is never read as "no session": nothing is deleted,
// nothing cleared.
func TestRefreshStorageFailureSignsNobodyOut(t *testing.T) {
	w := newWorld(t)
	tok := w.session("u", false)
	w.mustRotate(tok)
	w.now = w.now.Add(time.Minute)
	w.rows.fail = errors.New("connection refused")
	out := w.refresh(cookies(tok))
	var se *StorageError
	if !errors.As(out.Err, &se) || len(out.Thefts) != 0 {
		t.Fatalf("outcome %+v", out)
	}
	w.rows.fail = nil
	if _, ok := w.rows.get(tok.Handle); !ok {
		t.Fatal("the session was deleted on a storage failure")
	}
}
