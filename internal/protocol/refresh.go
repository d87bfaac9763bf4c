package protocol

import (
	"context"
	"errors"

	"github.com/ginsession/ginsession/internal/refreshtoken"
	"github.com/ginsession/ginsession/store"
)

// MaxWider bounds the refresh cookies looked at on the rare paths that look
// at all of them (more candidates than the transport keeps, a bearer beside
// cookies): each costs a database read.
const MaxWider = 32

// Request is what one refresh request presented, read and authenticated by
// the transport. Refresh cookies count only when they authenticate: planted
// junk of the right shape can neither push the real cookie out of the
// candidates nor overflow them. A bearer value is judged by its shape, and
// refused here when it does not authenticate.
type Request struct {
	// Found is how many candidates the transport found: authentic
	// cookies, or one bearer value of a refresh token's shape.
	Found int
	// Tokens are the candidates that authenticate, in the request's order.
	Tokens []*refreshtoken.Token
	// FromCookies: the candidates are cookies (else the Authorization
	// header).
	FromCookies bool
	// Overflow: more authentic cookies came than the transport keeps.
	Overflow bool
	// CookiesBeside: the bearer won while session cookies came too.
	CookiesBeside bool
	// SessionCookies: the request carried a session cookie at all.
	SessionCookies bool
	// AllCookies returns every authentic refresh cookie, up to MaxWider,
	// and whether more came than that (unseen ones). It is called only on
	// the rare paths (Overflow, CookiesBeside).
	AllCookies func() (toks []*refreshtoken.Token, unseen bool)
	// CSRFProven: anti-CSRF does not apply to this request, or the custom
	// header a cross-site form cannot send came.
	CSRFProven bool
	// AntiCSRF, when set, reports whether the request's anti-csrf token is
	// the given session's (VIA_TOKEN for a cookie request); nil: no token
	// check applies.
	AntiCSRF func(handle string) bool
	// DuplicateAccess: the access-token cookie came more than once.
	DuplicateAccess bool
	Client          Client
	// Adopted is a refresh token of the issuer whose sessions ginsession
	// took over (the SuperTokens core), opened and authenticated by the
	// caller. It counts only when no token of ours came (Tokens is empty).
	Adopted *Adopted
	// OtherAdopted are the issuer's further tokens the request carried
	// that name other sessions than Adopted (a planted cookie of another
	// session beside the user's): the request is decided as one carrying
	// our tokens of several sessions is (resolveMixed).
	OtherAdopted []*Adopted
	// ShadowedAdopted are the issuer's tokens that came in cookies beside
	// the token that counts (one of ours, or the issuer's by bearer): a
	// stale one of another session is theft, as a stale token of ours
	// would be; those of a session that counts are leftovers.
	ShadowedAdopted []*Adopted
}

// Adopted is a refresh token another issuer made for a session ginsession
// took over. It refreshes once, by that issuer's rule: while the row holds
// its hash or its parent's (the issuer had not promoted it yet), a rotation
// moves the row to Child, the first token of our lineage for the session,
// and the session goes on as ours. The same token again inside the grace
// window is answered the same Child; after that, or any older token of the
// issuer's, is stale: theft.
type Adopted struct {
	Handle string
	// From are the row values it may refresh from, in order: its own
	// hash, then its parent's.
	From [][]byte
	// Child is our token that continues it (refreshtoken.Keys.Adopt).
	Child *refreshtoken.Token
	// CSRFMatches, when set, reports whether the request carried the
	// anti-CSRF token the issuer sealed in it (VIA_TOKEN for a cookie
	// request); nil: no token check applies.
	CSRFMatches func() bool
}

// Refresh decides one refresh request: which token counts, the rotation,
// theft, and what to clear.
func (m *Machine) Refresh(ctx context.Context, in Request) (out Outcome) {
	if in.Found == 0 && !in.Overflow {
		// No refresh token: clear only what the request presented. A
		// request without any session token (a cross-site form POST under
		// SameSite lax carries no cookie) clears nothing: the frontend
		// forgets its own state on this 401, and any site could sign the
		// user out otherwise. An older SDK's sIdRefreshToken goes when the
		// request proved it is not forged.
		out.ClearLegacy = in.CSRFProven
		clear := ClearNothing
		if in.SessionCookies && in.CSRFProven {
			clear = ClearCookies
		}
		out.Err = refuse(clear, errors.New("no refresh token"))
		return out
	}
	if in.FromCookies && !in.CSRFProven {
		// A cross-site form cannot set a custom header: refused, and
		// nothing cleared (that would let any site sign the user out).
		out.Err = refuse(ClearNothing, errors.New("refresh without the rid header"))
		return out
	}
	if len(in.ShadowedAdopted) > 0 {
		if err := m.theftInShadowedAdopted(ctx, in, &out); err != nil {
			out.Err = err
			return out
		}
	}
	if !in.FromCookies && in.CookiesBeside {
		// The bearer won, but refresh cookies came too: a stale one among
		// them is still theft (a thief cannot shadow the victim's cookie
		// with a header of its own).
		if err := m.theftInShadowedCookies(ctx, in, &out); err != nil {
			out.Err = err
			return out
		}
	}
	if len(in.Tokens) == 0 && in.Adopted != nil {
		if len(in.OtherAdopted) > 0 {
			a, err := m.resolveAdoptedMixed(ctx, append([]*Adopted{in.Adopted}, in.OtherAdopted...), &out)
			if err != nil {
				out.Err = err
				return out
			}
			in.Adopted = a
		}
		out.Rotation, out.Err = m.rotateAdopted(ctx, in, &out)
		out.ClearCookiesBeside = out.Err == nil && in.CookiesBeside
		return out
	}
	if len(in.Tokens) == 0 {
		out.Err = refuse(ClearFound, errors.New("refresh token not ours"))
		return out
	}
	if in.AntiCSRF != nil && !matchesAny(in.Tokens, in.AntiCSRF) {
		// Like the rid check: refused quietly, so a forged request that
		// carries the cookies but not the token clears nothing.
		out.Err = refuse(ClearNothing, errors.New("refresh without the session's anti-csrf token"))
		return out
	}
	if in.FromCookies && (in.Found > 1 || in.Overflow || in.DuplicateAccess) {
		// Duplicates were sent: their copies go wherever strays may sit,
		// before the new tokens are written.
		out.ClearStrays = true
	}
	toks := in.Tokens
	mixed := in.Overflow
	for _, tok := range toks[1:] {
		mixed = mixed || tok.Handle != toks[0].Handle
	}
	if mixed {
		unseen := false
		if in.Overflow {
			// Every authentic cookie is looked at (up to a bound), so that
			// cookies of the thief's own sessions sent first cannot push a
			// stale one out of view.
			toks, unseen = in.AllCookies()
		}
		var err error
		if toks, err = m.resolveMixed(ctx, toks, &out); err != nil {
			out.Err = err
			return out
		}
		if unseen {
			// Past the bound, cookies of one other session sent first
			// would hide the user's own (the request would become that
			// session's) or a stale one (theft): nothing seen is rotated.
			out.Err = refuse(ClearFound, ErrTooManyCookies)
			return out
		}
	}
	rot, err := m.rotateAny(ctx, toks, in.Client, &out)
	if err != nil {
		out.Err = err
		return out
	}
	out.Rotation = rot
	out.ClearCookiesBeside = in.CookiesBeside
	return out
}

// rotateAny rotates the first of toks (all of one session) that is the
// session's current token or a retry inside the grace window. A stale
// token is theft unless another candidate of the same request rotated: that
// request holds the live token, and the stale one is a leftover (an older
// cookie domain). So a stale token is theft whatever junk or foreign
// tokens come with it.
func (m *Machine) rotateAny(ctx context.Context, toks []*refreshtoken.Token, client Client, out *Outcome) (*Rotation, error) {
	var first *stale
	var lastErr error
	for _, tok := range toks {
		rot, err := m.rotate(ctx, m.ourLineage(tok), client)
		if err == nil {
			return rot, nil
		}
		var se *StorageError
		if errors.As(err, &se) {
			return nil, err
		}
		var st *stale
		if errors.As(err, &st) {
			if first == nil {
				first = st
			}
			continue
		}
		lastErr = err
	}
	if first != nil {
		return nil, m.theft(ctx, first, ClearFound, out)
	}
	return nil, lastErr
}

// resolveMixed decides a request whose refresh tokens name different
// sessions, without rotating anything. Every stale token among them is
// theft, as it would be alone. Tokens of sessions that are gone are
// dropped: they authenticate nobody (a leftover of a signed-out session on
// an older cookie domain, say). If the live ones left name one session,
// they are returned for the rotation; otherwise the request is nobody's.
func (m *Machine) resolveMixed(ctx context.Context, toks []*refreshtoken.Token, out *Outcome) ([]*refreshtoken.Token, error) {
	var theft error
	var live []*refreshtoken.Token
	for _, tok := range toks {
		st, gone, err := m.staleCheck(ctx, tok)
		switch {
		case err != nil:
			return nil, err
		case st != nil:
			err := m.theft(ctx, st, ClearFound, out)
			var se *StorageError
			if theft == nil || errors.As(err, &se) {
				theft = err
			}
		case !gone:
			live = append(live, tok)
		}
	}
	if theft != nil {
		return nil, theft
	}
	for _, tok := range live {
		if tok.Handle != live[0].Handle {
			return nil, refuse(ClearFound, ErrAmbiguous)
		}
	}
	if len(live) == 0 {
		return nil, refuse(ClearFound, errSessionNotFound)
	}
	return live, nil
}

// theftInShadowedCookies runs the theft check on the refresh cookies of a
// request whose bearer token won. Cookies of the bearer's own session are
// left to the rotation (it either rotates, excusing them, or is stale
// itself).
func (m *Machine) theftInShadowedCookies(ctx context.Context, in Request, out *Outcome) error {
	var own string
	if len(in.Tokens) > 0 {
		own = in.Tokens[0].Handle
	}
	toks, unseen := in.AllCookies()
	for _, tok := range toks {
		if tok.Handle == own {
			continue
		}
		st, _, err := m.staleCheck(ctx, tok)
		if err != nil {
			return err
		}
		if st != nil {
			return m.theft(ctx, st, ClearEverywhere, out)
		}
	}
	if unseen {
		// A stale cookie past the bound would go unnoticed.
		return refuse(ClearEverywhere, ErrTooManyCookies)
	}
	return nil
}

// rotateAdopted decides the refresh of a token of the issuer ginsession
// took the session over from. A stale one is theft, as the issuer itself
// would have judged it.
func (m *Machine) rotateAdopted(ctx context.Context, in Request, out *Outcome) (*Rotation, error) {
	a := in.Adopted
	if a.CSRFMatches != nil && !a.CSRFMatches() {
		return nil, refuse(ClearNothing, errors.New("refresh without the session's anti-csrf token"))
	}
	rot, err := m.rotate(ctx, lineage{handle: a.Handle, from: a.From, child: a.Child}, in.Client)
	var st *stale
	if errors.As(err, &st) {
		return nil, m.theft(ctx, st, ClearFound, out)
	}
	return rot, err
}

// resolveAdoptedMixed decides a request carrying the issuer's tokens of
// more than one session, without rotating anything, as resolveMixed does
// ours: every stale one is theft, as it would be alone; those of sessions
// that are gone are dropped; the live ones left must name one session,
// whose first token is returned, else the request is nobody's. Like the
// anti-CSRF check of ours, a request that carries none of the tokens'
// anti-CSRF values is refused quietly first.
func (m *Machine) resolveAdoptedMixed(ctx context.Context, all []*Adopted, out *Outcome) (*Adopted, error) {
	proven := false
	for _, a := range all {
		proven = proven || a.CSRFMatches == nil || a.CSRFMatches()
	}
	if !proven {
		return nil, refuse(ClearNothing, errors.New("refresh without the session's anti-csrf token"))
	}
	var theft error
	var live []*Adopted
	now := m.Now()
	for _, a := range all {
		row, err := m.Sessions.GetSession(ctx, a.Handle, now)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, storageErr("reading a session", err)
		}
		if (lineage{handle: a.Handle, from: a.From, child: a.Child}).classify(row, now, m.Lifetimes.Grace) == Stale {
			err := m.theft(ctx, &stale{row: row}, ClearFound, out)
			var se *StorageError
			if theft == nil || errors.As(err, &se) {
				theft = err
			}
			continue
		}
		live = append(live, a)
	}
	if theft != nil {
		return nil, theft
	}
	for _, a := range live {
		if a.Handle != live[0].Handle {
			return nil, refuse(ClearFound, ErrAmbiguous)
		}
	}
	if len(live) == 0 {
		return nil, refuse(ClearFound, errSessionNotFound)
	}
	return live[0], nil
}

// theftInShadowedAdopted runs the theft check on the issuer's tokens that
// came beside the token that counts. Those of a session a counted token
// names are left to the rotation (a leftover of the session that
// refreshes, kept by the browser on another domain or path).
func (m *Machine) theftInShadowedAdopted(ctx context.Context, in Request, out *Outcome) error {
	counted := map[string]bool{}
	for _, tok := range in.Tokens {
		counted[tok.Handle] = true
	}
	if in.Adopted != nil {
		counted[in.Adopted.Handle] = true
	}
	for _, a := range in.OtherAdopted {
		counted[a.Handle] = true
	}
	clear := ClearFound
	if !in.FromCookies {
		clear = ClearEverywhere
	}
	now := m.Now()
	for _, a := range in.ShadowedAdopted {
		if counted[a.Handle] {
			continue
		}
		row, err := m.Sessions.GetSession(ctx, a.Handle, now)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return storageErr("reading a session", err)
		}
		if (lineage{handle: a.Handle, from: a.From, child: a.Child}).classify(row, now, m.Lifetimes.Grace) == Stale {
			return m.theft(ctx, &stale{row: row}, clear, out)
		}
	}
	return nil
}
