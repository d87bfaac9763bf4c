package ginsession

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/dbsc"
	"github.com/ginsession/ginsession/internal/origin"
	"github.com/ginsession/ginsession/internal/protocol"
	"github.com/ginsession/ginsession/internal/refreshtoken"
	"github.com/ginsession/ginsession/internal/transport"
	"github.com/ginsession/ginsession/routes"
	"github.com/ginsession/ginsession/store"
)

// Device Bound Session Credentials (Config.DeviceBoundSessions): the
// engine's side of internal/dbsc. The offer goes on the sign-in response
// (bindingEngine.offer, from create); routes/dbsc.go serves the registration and
// DBSC refresh endpoints through bindingEngine, and routes/refresh.go asks
// CheckRefresh before the protocol core.

// The lifetimes of the challenges: a registration follows the sign-in at
// once, and a proof answers a 403 at once.
const (
	registrationChallengeTTL = 5 * time.Minute
	refreshChallengeTTL      = time.Minute
)

// errNoBoundCookie is the cause of a bound session's refresh refused for
// want of its bound cookie.
var errNoBoundCookie = errors.New("device-bound session: the refresh came without a valid bound cookie")

// newBinder is the engine's DBSC binder, nil when the feature is off.
// secret is the refresh-token secret (MasterKey or the stored one): the
// bound cookie's key is derived from it, so every instance has the same.
func newBinder(s *settings, secret []byte) *dbsc.Binder {
	if !s.dbsc {
		return nil
	}
	return dbsc.New(dbsc.Options{
		Store: store.Bindings(s.st), Secret: secret, Now: s.now,
		RegistrationTTL: registrationChallengeTTL, ChallengeTTL: refreshChallengeTTL, CookieTTL: s.dbscCookieTTL,
	})
}

// offer puts the registration offer for a new cookie session on
// the response. A store failure here costs the binding, not the sign-in:
// it is logged and counted, and the session works unbound.
func (b bindingEngine) offer(c *gin.Context, handle string) {
	e := b.e
	challenge, err := e.bind.Offer(c.Request.Context(), handle)
	if err != nil {
		e.metrics.binding(bindError)
		e.cfg.logger.Error("ginsession: storing a device-binding challenge; the session stays unbound", "session", handle, "error", err)
		return
	}
	c.Header(dbsc.HeaderRegistration, dbsc.RegistrationHeader(e.cfg.basePath+routes.DBSCRegisterPath, challenge, dbsc.Authorization(handle)))
	e.metrics.binding(bindOffered)
}

// Binding is the DBSC side of the routes, nil when the engine does not
// bind sessions.
func (r routeEngine) Binding() routes.Binding {
	if r.e.bind == nil {
		return nil
	}
	return bindingEngine(r)
}

// bindingEngine is the engine as routes.Binding.
type bindingEngine struct{ e *Sessions }

var _ routes.Binding = bindingEngine{}

// failed records a refused or failed step: a refusal is counted, logged at
// Warn and given to the DeviceBindingFailed hook; a store failure is
// counted as an error and logged at Error.
func (b bindingEngine) failed(c *gin.Context, stage, outcome, handle string, err error) {
	e := b.e
	if !dbsc.Refused(err) && !errors.Is(err, errNoBoundCookie) {
		e.metrics.binding(bindError)
		e.cfg.logger.Error("ginsession: device binding: the store failed", "stage", stage, "session", handle, "error", err)
		return
	}
	e.metrics.binding(outcome)
	e.cfg.logger.Warn("ginsession: device binding refused", "stage", stage, "session", handle, "reason", err.Error(), "client_ip", c.ClientIP())
	if e.cfg.hooks.DeviceBindingFailed != nil {
		e.cfg.hooks.DeviceBindingFailed(DeviceBindingEvent{
			SessionEvent: SessionEvent{Handle: handle, Time: e.cfg.now()},
			Stage:        stage, Reason: err.Error(), ClientIP: c.ClientIP(),
		})
	}
}

// Register implements routes.Binding.
func (b bindingEngine) Register(c *gin.Context, proof string) (string, error) {
	e := b.e
	handle, err := e.bind.Register(c.Request.Context(), proof)
	if err != nil {
		b.failed(c, "register", bindRefusedRegister, handle, err)
		return "", err
	}
	e.metrics.binding(bindRegistered)
	e.cfg.logger.Info("ginsession: session bound to a device key", "session", handle)
	if e.cfg.hooks.DeviceBound != nil {
		e.cfg.hooks.DeviceBound(SessionEvent{Handle: handle, Time: e.cfg.now()})
	}
	return handle, nil
}

// Challenge implements routes.Binding.
func (b bindingEngine) Challenge(c *gin.Context, id string) (string, error) {
	challenge, err := b.e.bind.Challenge(c.Request.Context(), id)
	if err != nil {
		b.failed(c, "proof", bindRefusedProof, id, err)
		return "", err
	}
	b.e.metrics.binding(bindChallenged)
	return challenge, nil
}

// Prove implements routes.Binding. A stale challenge is not counted as a
// refusal: the route answers it with a fresh one, as the spec expects.
func (b bindingEngine) Prove(c *gin.Context, id, proof string) error {
	err := b.e.bind.Refresh(c.Request.Context(), id, proof)
	if err != nil && !errors.Is(err, dbsc.ErrChallenge) {
		b.failed(c, "proof", bindRefusedProof, id, err)
	}
	return err
}

// instructions are the DBSC session instructions (the spec's JSON).
type instructions struct {
	SessionIdentifier string        `json:"session_identifier"`
	RefreshURL        string        `json:"refresh_url"`
	Scope             scopeJSON     `json:"scope"`
	Credentials       []credentials `json:"credentials"`
	Initiators        []string      `json:"allowed_refresh_initiators"`
}

type scopeJSON struct {
	Origin        string      `json:"origin"`
	IncludeSite   bool        `json:"include_site"`
	Specification []scopeRule `json:"scope_specification"`
}

type scopeRule struct {
	Type   string `json:"type"`
	Domain string `json:"domain"`
	Path   string `json:"path"`
}

type credentials struct {
	Type       string `json:"type"`
	Name       string `json:"name"`
	Attributes string `json:"attributes"`
}

// Issue implements routes.Binding: a new bound cookie on the refresh path,
// and the instructions: the DBSC refresh URL, the cookie, the frontends as
// refresh initiators (their pages call the refresh route), and as the
// scope the API's origin narrowed to the refresh route. The browser then
// asks for a proof only before a session refresh: Chromium otherwise
// renews a short-lived bound cookie ahead of its expiry on any request in
// scope, which would be nearly every API call.
func (b bindingEngine) Issue(c *gin.Context, handle string) []byte {
	e := b.e
	value, _ := e.bind.Cookie(handle)
	attrs := e.out(c).SetBound(dbsc.CookieName, value, int(e.bind.CookieTTL()/time.Second))
	e.metrics.binding(bindProven)
	body, err := json.Marshal(instructions{
		SessionIdentifier: handle,
		RefreshURL:        e.cfg.basePath + routes.DBSCRefreshPath,
		Scope: scopeJSON{Origin: origin.Canonical(e.cfg.apiURL), Specification: []scopeRule{
			// Rules are read last to first: the refresh route is in, the
			// rest of the origin out.
			{Type: "exclude", Domain: e.cfg.apiURL.Hostname(), Path: "/"},
			{Type: "include", Domain: e.cfg.apiURL.Hostname(), Path: e.cfg.refreshPath},
		}},
		Credentials: []credentials{{Type: "cookie", Name: dbsc.CookieName, Attributes: attrs}},
		Initiators:  append([]string{}, e.cfg.dbscInitiators...),
	})
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return body
}

// CheckRefresh implements routes.Binding: every session the request's
// refresh tokens name (by cookie or header: a copied cookie replayed as a
// bearer is checked too) that is bound needs a valid bound cookie for it.
func (b bindingEngine) CheckRefresh(c *gin.Context, in protocol.Request, method transport.Method) error {
	e := b.e
	toks := in.Tokens
	if (in.Overflow || in.CookiesBeside) && in.AllCookies != nil {
		// Cookies past the bound are not checked here: the protocol
		// refuses such a request whatever they are.
		wider, _ := in.AllCookies()
		toks = append(append([]*refreshtoken.Token{}, toks...), wider...)
	}
	handles := make([]string, 0, len(toks)+1)
	for _, tok := range toks {
		handles = append(handles, tok.Handle)
	}
	if in.Adopted != nil {
		// A token of the issuer ginsession took over names a session too
		// (never bound today: imported sessions get no offer; checked all
		// the same, so no token kind gets round the check).
		handles = append(handles, in.Adopted.Handle)
	}
	seen := map[string]bool{}
	for _, h := range handles {
		if seen[h] {
			continue
		}
		seen[h] = true
		bound, err := e.bind.Bound(c.Request.Context(), h)
		if err != nil {
			b.failed(c, "refresh", bindError, h, err)
			return storageErr("reading a device binding", err)
		}
		if !bound || b.hasBoundCookie(c, h) {
			continue
		}
		b.failed(c, "refresh", bindRefusedRefresh, h, errNoBoundCookie)
		// A cookie request that may be forged (no rid header; in VIA_TOKEN
		// mode, not the session's anti-csrf token) clears nothing, as the
		// protocol's own refusal of it would not: another site may have
		// sent it, and a browser does not renew the bound cookie for a
		// page it does not list, so clearing would let that site sign the
		// user out.
		proven := !in.FromCookies || in.CSRFProven && (in.AntiCSRF == nil || in.AntiCSRF(h))
		return unauthorised(proven, TransferMethod(method), errNoBoundCookie)
	}
	return nil
}

// hasBoundCookie reports whether any bound cookie the request carries is
// valid for the session.
func (b bindingEngine) hasBoundCookie(c *gin.Context, handle string) bool {
	for _, ck := range c.Request.Cookies() {
		if ck.Name == dbsc.CookieName && b.e.bind.CookieValid(ck.Value, handle) {
			return true
		}
	}
	return false
}
