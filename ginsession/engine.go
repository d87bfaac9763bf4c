package ginsession

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/accesstoken"
	"github.com/ginsession/ginsession/internal/dbsc"
	"github.com/ginsession/ginsession/internal/keyring"
	"github.com/ginsession/ginsession/internal/origin"
	"github.com/ginsession/ginsession/internal/protocol"
	"github.com/ginsession/ginsession/internal/refreshtoken"
	"github.com/ginsession/ginsession/internal/revocation"
	"github.com/ginsession/ginsession/internal/transport"
	"github.com/ginsession/ginsession/routes"
	"github.com/ginsession/ginsession/store"
)

// Sessions is a configured session engine. Create it with Register (or New
// plus Mount); it is safe for concurrent use. Two engines in one process are
// independent: nothing is global.
type Sessions struct {
	cfg  *settings
	st   store.Store
	keys *keyring.Keyring
	rk   *refreshtoken.Keys
	csrf *antiCSRF
	// tokens mints and verifies access tokens, with the verify cache.
	tokens *accesstoken.Tokens
	// machine decides refresh requests (internal/protocol).
	machine *protocol.Machine
	// life are the session lifetimes (Config: RefreshTokenTTL,
	// BrowserSessionIdleTimeout, RefreshGracePeriod, MaxSessionAge).
	life protocol.Lifetimes
	revs *revocation.Set
	// cap stores new sessions under Config.MaxSessionsPerUser.
	cap *sessionCap
	// metrics records through Config.MeterProvider (a no-op by default).
	metrics *metrics
	// cookies are the cookie settings internal/transport writes with.
	cookies *transport.Cookies
	// adopt accepts the tokens of a SuperTokens core whose sessions were
	// imported into the store; nil when none were.
	adopt *adoption
	// coreTokenWarned is when (Unix seconds) a core token last came to an
	// engine without adopt (routeEngine.warnCoreToken).
	coreTokenWarned atomic.Int64
	// bind is Device Bound Session Credentials, nil when off.
	bind *dbsc.Binder
}

// New validates cfg, loads (or creates) the signing keys and returns an
// engine without mounting any route. Most apps call Register instead.
func New(cfg Config) (*Sessions, error) {
	s, err := newSettings(cfg)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.MeterProvider)
	if err != nil {
		return nil, fmt.Errorf("ginsession: Config.MeterProvider: %w", err)
	}
	// Read before the store is wrapped for the metrics.
	importer := store.ImporterOf(s.st)
	// Every store call from here on is timed.
	s.st = measure(s.st, m)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Whether the store can push revocations is known now, once.
	watcher := store.Watcher(s.st)
	e := &Sessions{cfg: s, st: s.st, revs: newRevocations(s.st, watcher, s, m), metrics: m}
	e.cookies = cookieSettings(s, origin.StrayDomains(s.apiURL.Hostname(), s.cookieDomain, s.olderDomain, HostOnly))
	current, accepted := s.masterKey, s.acceptMasterKeys
	if len(current) == 0 || s.acceptStoredSecret {
		secret, err := storedSecret(ctx, s.st)
		if err != nil {
			return nil, err
		}
		if len(current) == 0 {
			current = secret
		} else {
			accepted = append([][]byte{secret}, accepted...)
		}
	}
	e.rk = refreshtoken.NewKeys(current, accepted...)
	e.bind = newBinder(s, current)
	e.life = protocol.Lifetimes{Refresh: s.refreshTTL, BrowserIdle: s.browserIdle, Grace: s.grace, MaxAge: s.maxAge}
	e.cap = &sessionCap{st: s.st, max: s.maxPerUser, refuse: s.refuseOverLimit, life: e.life, revoked: e.revoked}
	e.machine = &protocol.Machine{
		Sessions: s.st, Keys: e.rk, Now: s.now,
		Lifetimes: e.life,
	}
	e.csrf = newAntiCSRF(s, e.rk, current, accepted)
	if e.keys, err = keyring.New(ctx, keyring.Options{
		Store: s.st, MasterKey: s.masterKey, Algorithm: s.algorithm,
		Rotation: s.keyRotation, AccessTTL: s.accessTTL, Now: s.now, Logger: s.logger,
	}); err != nil {
		return nil, err
	}
	if e.adopt, err = loadAdoption(ctx, importer, s.now()); err != nil {
		return nil, err
	}
	topts := accesstoken.Options{
		Keys: e.keys, Algorithm: s.algorithm, Issuer: s.issuer, TTL: s.accessTTL,
		SessionEnd: e.life.End, CacheSize: s.cacheSize, Now: s.now,
		CoreShape: s.coreCompat != nil,
	}
	if e.adopt != nil {
		topts.Adopted = e.adopt.verifyAccess
		s.logger.Info("ginsession: accepting the tokens of the imported SuperTokens sessions", "access_token_keys", len(e.adopt.keys), "refresh_tokens", e.adopt.refreshKey != "")
	}
	e.tokens = accesstoken.New(topts)
	if e.revs != nil {
		// Say which way revocations reach this instance.
		if watcher != nil {
			s.logger.Info("ginsession: revocations are pushed by the store, and polled as a fallback", "poll_interval", s.revocationPoll)
			go watchRevocations(e.revs, s.logger) // ends when the store closes
		} else {
			s.logger.Info("ginsession: revocations are polled: the store cannot push them", "poll_interval", s.revocationPoll)
		}
	}
	return e, nil
}

// storedSecret returns the refresh-token secret kept in the store, creating
// it on first use (the secret when no MasterKey is set).
func storedSecret(ctx context.Context, st store.Store) ([]byte, error) {
	candidate := make([]byte, 32)
	if _, err := rand.Read(candidate); err != nil {
		return nil, err
	}
	secret, err := st.EnsureSecret(ctx, "refresh-token-secret", candidate)
	if err != nil {
		return nil, fmt.Errorf("ginsession: reading the token secret: %w", err)
	}
	return secret, nil
}

// Register validates cfg, creates the engine and mounts its routes on r:
// POST {base}/session/refresh, POST {base}/signout,
// GET {base}/jwt/jwks.json and GET {base}/.well-known/openid-configuration,
// with the CORS preflights its frontends need. Pass the engine itself (or a
// group at "/"): APIBasePath is a path from the root of APIDomain, and the
// refresh cookie's Path depends on it. To serve the routes under /api, set
// APIBasePath to "/api/auth". A nil r, a group at another path, or an engine
// the routes are already mounted on is an error, like any bad setting, and
// mounts nothing. So is a route of the app's own in the way (its own
// /auth/*any, say), found as the routes are added: the error names the
// session routes already added, which stay (Gin cannot remove a route).
func Register(r gin.IRouter, cfg Config) (*Sessions, error) {
	if err := checkRouter(r, "Register"); err != nil {
		return nil, err
	}
	e, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := e.Mount(r); err != nil {
		return nil, err
	}
	return e, nil
}

// Mount mounts the session routes on r under APIBasePath (the routes
// Register lists). A nil r, a group at a path other than "/", and an engine
// that already has the refresh route are errors and mount nothing. A route
// of the app's own in the way (say its own POST /auth/signout) is an error
// too, which Gin finds as it adds the routes: the ones added before it stay.
func (e *Sessions) Mount(r gin.IRouter) error {
	if err := checkRouter(r, "Mount"); err != nil {
		return err
	}
	eng, isEngine := r.(*gin.Engine)
	had := map[string]bool{}
	if isEngine {
		for _, route := range eng.Routes() {
			if route.Method == http.MethodPost && route.Path == e.cfg.refreshPath {
				return fmt.Errorf("ginsession: Mount: this engine already has POST %s: the session routes are mounted once (Register or Mount was called twice?)", e.cfg.refreshPath)
			}
			had[route.Method+" "+route.Path] = true
		}
	}
	err := mountRoutes(r, routeEngine{e})
	if err != nil && isEngine {
		// Gin cannot take routes back: say which ones stay, served by an
		// engine the app may not hold (Register returns none).
		var stayed []string
		for _, route := range eng.Routes() {
			if !had[route.Method+" "+route.Path] {
				stayed = append(stayed, route.Method+" "+route.Path)
			}
		}
		if len(stayed) > 0 {
			err = fmt.Errorf("%w; these were mounted before it and stay: %s", err, strings.Join(stayed, ", "))
		}
	}
	return err
}

// mountRoutes is routes.Mount with Gin's panic at a route that clashes with
// one the app has turned into the error an app learns it from.
func mountRoutes(r gin.IRouter, re routeEngine) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("ginsession: Mount: Gin refused a session route under %s, so the app has a route there of its own: %v", re.e.cfg.basePath+"/", p)
		}
	}()
	routes.Mount(r, re)
	return nil
}

// checkRouter refuses what the session routes cannot be mounted on: nil,
// and a group at another path than the root, whose routes would not be
// where APIBasePath (and with it the refresh cookie's Path and the SDK's
// apiBasePath) says they are.
func checkRouter(r gin.IRouter, who string) error {
	if isNilRouter(r) {
		return fmt.Errorf("ginsession: %s: the router is nil (pass the *gin.Engine the app serves)", who)
	}
	if g, ok := r.(interface{ BasePath() string }); ok && g.BasePath() != "/" {
		base := g.BasePath()
		return fmt.Errorf("ginsession: %s: the router is a group at %q, but APIBasePath is a path from the root of APIDomain (the refresh cookie's Path follows it): pass the engine, and set Config.APIBasePath to %q to serve the routes under that group", who, base, strings.TrimSuffix(base, "/")+"/auth")
	}
	return nil
}

// isNilRouter reports a nil interface or a typed nil pointer (a nil
// *gin.Engine or *gin.RouterGroup), which would panic at the first route.
func isNilRouter(r gin.IRouter) bool {
	switch v := r.(type) {
	case nil:
		return true
	case *gin.Engine:
		return v == nil
	case *gin.RouterGroup:
		return v == nil
	}
	return false
}

// APIBasePath returns the path the session routes are mounted under.
func (e *Sessions) APIBasePath() string { return e.cfg.basePath }
