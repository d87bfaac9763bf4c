package ginsession

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/accesstoken"
	"github.com/ginsession/ginsession/internal/clock"
	"github.com/ginsession/ginsession/internal/keyring"
	"github.com/ginsession/ginsession/internal/origin"
	"github.com/ginsession/ginsession/store"
)

// settings is the configuration the engine runs on: every Config field
// validated, defaulted and resolved, plus what is derived from it. It does
// not embed Config: a raw field and its resolved value must never be
// mistaken for one another (the engine reads only these).
type settings struct {
	st  store.Store
	now func() time.Time
	// verifyNow is the clock of the verify path: Config.Now when set, else
	// clock.Coarse (an atomic load instead of a clock read per request).
	verifyNow func() time.Time
	logger    *slog.Logger

	// Where the API is.
	apiURL      *url.URL
	issuer      string
	basePath    string
	refreshPath string

	// Frontends and cookies.
	frontends      *origin.Frontends // with the default frontend and the request guard (For)
	secure         bool
	partitioned    bool
	exposeAccess   bool        // ExposeAccessTokenInCookieMode
	coreCompat     *CoreCompat // a copy of Config.CoreCompat; nil: off
	cookieDomain   string
	olderDomain    string // "" none, HostOnly, or a domain
	hasOlder       bool
	antiCSRF       AntiCSRFMode // as configured; antiCSRFFor resolves auto per request
	transferMethod func(c *gin.Context, forCreate bool) TransferMethod

	// Lifetimes and limits.
	accessTTL, refreshTTL, grace time.Duration
	maxAge                       time.Duration // 0: none
	browserIdle                  time.Duration // BrowserSessionIdleTimeout, resolved
	maxPerUser                   int           // 0: no cap
	refuseOverLimit              bool
	omitIP                       bool

	// Keys.
	algorithm          string
	keyRotation        time.Duration
	masterKey          []byte
	acceptMasterKeys   [][]byte
	acceptStoredSecret bool

	// Claims.
	claims     []Claim
	validators []ClaimValidator

	// Answers and events.
	expiredStatus, claimStatus int
	errorHandlers              ErrorHandlers
	hooks                      Hooks

	revocationPoll time.Duration
	cacheSize      int

	// Device Bound Session Credentials: on, the bound cookie's lifetime,
	// and the hosts of the frontends, which may start a DBSC refresh.
	dbsc           bool
	dbscCookieTTL  time.Duration
	dbscInitiators []string
}

// isNilPointer reports a nil pointer inside a non-nil interface (a
// *gormstore.GORMStore left nil by a failed Open), which would panic at the
// first store call instead of being refused here.
func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// defaultBrowserIdle is Config.BrowserSessionIdleTimeout's default (with
// a long AccessTokenTTL, twice that).
const defaultBrowserIdle = 24 * time.Hour

func newSettings(cfg Config) (*settings, error) {
	// Slices are copied: a caller changing its Config after New changes
	// nothing here.
	s := &settings{
		st: cfg.Store, now: cfg.Now, logger: cfg.Logger,
		antiCSRF: cfg.AntiCSRF, transferMethod: cfg.GetTransferMethod,
		accessTTL: cfg.AccessTokenTTL, refreshTTL: cfg.RefreshTokenTTL, grace: cfg.RefreshGracePeriod,
		maxAge: cfg.MaxSessionAge, browserIdle: cfg.BrowserSessionIdleTimeout, maxPerUser: cfg.MaxSessionsPerUser,
		refuseOverLimit: cfg.SessionLimitPolicy == SessionLimitRefuseNew, omitIP: cfg.OmitClientIP,
		algorithm: cfg.SigningAlgorithm, keyRotation: cfg.KeyRotationInterval,
		masterKey: slices.Clone(cfg.MasterKey), acceptMasterKeys: slices.Clone(cfg.AcceptMasterKeys), acceptStoredSecret: cfg.AcceptStoredSecret,
		claims: slices.Clone(cfg.Claims), validators: slices.Clone(cfg.ClaimValidators),
		expiredStatus: cfg.SessionExpiredStatus, claimStatus: cfg.InvalidClaimStatus,
		errorHandlers: cfg.ErrorHandlers, hooks: cfg.Hooks,
		revocationPoll: cfg.RevocationPollInterval, cacheSize: cfg.VerifyCacheSize,
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("ginsession: Config.%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if cfg.Store == nil || isNilPointer(cfg.Store) {
		bad("Store", "required (use sqlitestore.Open, postgresstore.Open, mysqlstore.Open or gormstore.New; a nil store was given)")
	}
	u, err := origin.Parse(cfg.APIDomain)
	if err != nil {
		bad("APIDomain", "%v", err)
	}
	s.apiURL = u

	s.basePath = cfg.APIBasePath
	if s.basePath == "" {
		s.basePath = "/auth"
	}
	if !strings.HasPrefix(s.basePath, "/") || strings.Contains(s.basePath, "//") || strings.IndexFunc(s.basePath, notPathChar) >= 0 {
		bad("APIBasePath", "%q must be a path starting with / of letters, digits and - . _ ~ (no route parameters, escapes, query or spaces)", cfg.APIBasePath)
	}
	s.basePath = strings.TrimSuffix(s.basePath, "/")
	s.refreshPath = s.basePath + "/session/refresh"

	if s.apiURL != nil {
		s.issuer = origin.Canonical(s.apiURL) + s.basePath
	}

	if cfg.CookieSecure != nil {
		s.secure = *cfg.CookieSecure
	} else if s.apiURL != nil {
		s.secure = s.apiURL.Scheme == "https"
	}

	s.partitioned = cfg.CookiePartitioned
	s.exposeAccess = cfg.ExposeAccessTokenInCookieMode
	if cfg.CoreCompat != nil {
		cc := *cfg.CoreCompat
		s.coreCompat = &cc
	}
	if s.partitioned {
		if !s.secure {
			bad("CookiePartitioned", "Partitioned cookies must be Secure (an https APIDomain or CookieSecure)")
		}
		if cfg.CookieSameSite == "lax" || cfg.CookieSameSite == "strict" {
			bad("CookiePartitioned", "an embedded frontend's requests are cross-site: CookieSameSite %q cookies would never be sent; leave it auto or \"none\"", cfg.CookieSameSite)
		}
	}
	frontends, problems := origin.Resolve(origin.Options{
		API: s.apiURL, WebsiteDomain: cfg.WebsiteDomain, Origins: cfg.Origins,
		SameSite: cfg.CookieSameSite, Partitioned: s.partitioned, Secure: s.secure,
		GetOrigin: cfg.GetOrigin, Logger: cfg.Logger,
	})
	s.frontends = frontends
	for _, p := range problems {
		bad(p.Field, "%v", p.Err)
	}
	switch cfg.CookieSameSite {
	case "", "lax", "strict", "none":
	default:
		bad("CookieSameSite", "%q: want \"lax\", \"strict\", \"none\" or \"\" (auto)", cfg.CookieSameSite)
	}

	if cfg.CookieDomain != "" {
		d, err := ValidateCookieDomain(cfg.CookieDomain)
		if err != nil {
			bad("CookieDomain", "%v", err)
		} else if s.apiURL != nil && !origin.DomainMatches(s.apiURL.Hostname(), d) {
			bad("CookieDomain", "%q does not cover the API host %q", cfg.CookieDomain, s.apiURL.Hostname())
		}
		s.cookieDomain = d
	}
	if cfg.OlderCookieDomain != "" {
		s.hasOlder = true
		if cfg.OlderCookieDomain == HostOnly {
			s.olderDomain = HostOnly
		} else if d, err := ValidateCookieDomain(cfg.OlderCookieDomain); err != nil {
			bad("OlderCookieDomain", "%v", err)
		} else {
			s.olderDomain = d
		}
		if s.olderDomain == s.cookieDomain || (s.olderDomain == HostOnly && s.cookieDomain == "") {
			bad("OlderCookieDomain", "must differ from CookieDomain")
		}
	}

	switch cfg.AntiCSRF {
	case AntiCSRFAuto, AntiCSRFViaToken, AntiCSRFViaCustomHeader, AntiCSRFNone:
	default:
		bad("AntiCSRF", "unknown mode %q", cfg.AntiCSRF)
	}

	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
		min  time.Duration
	}{
		{"AccessTokenTTL", &s.accessTTL, time.Hour, time.Second},
		{"RefreshTokenTTL", &s.refreshTTL, 100 * 24 * time.Hour, time.Minute},
		{"RefreshGracePeriod", &s.grace, 30 * time.Second, 0},
		{"KeyRotationInterval", &s.keyRotation, 7 * 24 * time.Hour, time.Minute},
	}
	for _, d := range durations {
		if *d.v == 0 {
			*d.v = d.def
		}
		if *d.v < d.min {
			bad(d.name, "%v is below the minimum %v", *d.v, d.min)
		}
	}
	if s.maxAge != 0 && s.maxAge < time.Minute {
		bad("MaxSessionAge", "%v is below the minimum 1m0s (0 for no limit)", s.maxAge)
	}
	if s.maxPerUser < 0 {
		bad("MaxSessionsPerUser", "%d is negative (0 for no cap)", s.maxPerUser)
	}
	switch cfg.SessionLimitPolicy {
	case SessionLimitEvictOldest, SessionLimitRefuseNew:
	default:
		bad("SessionLimitPolicy", "unknown policy %q: want SessionLimitEvictOldest or SessionLimitRefuseNew", cfg.SessionLimitPolicy)
	}
	if s.refreshTTL < s.accessTTL {
		bad("RefreshTokenTTL", "%v is shorter than AccessTokenTTL %v", s.refreshTTL, s.accessTTL)
	}
	switch {
	case s.browserIdle == 0:
		s.browserIdle = min(max(defaultBrowserIdle, 2*s.accessTTL), s.refreshTTL)
	case s.browserIdle < 0:
		bad("BrowserSessionIdleTimeout", "%v is negative (0 for the default)", s.browserIdle)
	case s.browserIdle <= s.accessTTL:
		// A session that outlives no access token would be signed out
		// at its first refresh.
		bad("BrowserSessionIdleTimeout", "%v is not longer than AccessTokenTTL %v (0 for the default)", s.browserIdle, s.accessTTL)
	case s.browserIdle > s.refreshTTL:
		bad("BrowserSessionIdleTimeout", "%v is longer than RefreshTokenTTL %v, which ends every session sooner (0 for the default)", s.browserIdle, s.refreshTTL)
	}

	if s.algorithm == "" {
		s.algorithm = "ES256"
	}
	if !keyring.Supported(s.algorithm) {
		bad("SigningAlgorithm", "%q: want ES256, RS256 or EdDSA", cfg.SigningAlgorithm)
	}
	if len(cfg.MasterKey) > 0 && len(cfg.MasterKey) < 32 {
		bad("MasterKey", "%d bytes: want at least 32", len(cfg.MasterKey))
	}
	for i, k := range cfg.AcceptMasterKeys {
		if len(k) < 32 {
			bad("AcceptMasterKeys", "key %d: %d bytes: want at least 32", i, len(k))
		}
	}
	if cfg.AcceptStoredSecret && len(cfg.MasterKey) == 0 {
		bad("AcceptStoredSecret", "set without MasterKey (without one, the stored secret is the key already)")
	}

	if s.transferMethod == nil {
		s.transferMethod = defaultTransferMethod
	}
	if s.expiredStatus == 0 {
		s.expiredStatus = http.StatusUnauthorized
	}
	if s.claimStatus == 0 {
		s.claimStatus = http.StatusForbidden
	}
	for _, st := range []struct {
		name string
		v    int
	}{{"SessionExpiredStatus", s.expiredStatus}, {"InvalidClaimStatus", s.claimStatus}} {
		if st.v < 400 || st.v > 499 {
			bad(st.name, "%d is not a 4xx status", st.v)
		}
	}
	if s.expiredStatus == s.claimStatus {
		bad("InvalidClaimStatus", "must differ from SessionExpiredStatus (both %d)", s.expiredStatus)
	}
	seen := map[string]bool{}
	for i, c := range s.claims {
		switch {
		case c == nil || c.Key() == "":
			bad(fmt.Sprintf("Claims[%d]", i), "nil claim or empty key")
		case accesstoken.Reserved(c.Key()):
			bad(fmt.Sprintf("Claims[%d]", i), "key %q is set by ginsession", c.Key())
		case seen[c.Key()]:
			bad(fmt.Sprintf("Claims[%d]", i), "duplicate key %q", c.Key())
		}
		if c != nil {
			seen[c.Key()] = true
		}
	}
	for i, v := range s.validators {
		if v == nil || v.ID() == "" {
			bad(fmt.Sprintf("ClaimValidators[%d]", i), "nil validator or empty ID")
		}
	}
	if cfg.DeviceBoundSessions.Enabled {
		s.dbsc = true
		s.dbscCookieTTL = cfg.DeviceBoundSessions.CookieMaxAge
		if s.dbscCookieTTL == 0 {
			s.dbscCookieTTL = 2 * time.Minute
		}
		if s.dbscCookieTTL < 10*time.Second || s.dbscCookieTTL > time.Hour {
			bad("DeviceBoundSessions.CookieMaxAge", "%v: want between 10s and 1h (0 for the default 2m)", s.dbscCookieTTL)
		}
		if !s.secure {
			bad("DeviceBoundSessions", "browsers bind sessions only over HTTPS: cookies must be Secure (an https APIDomain or CookieSecure)")
		}
		if s.partitioned {
			bad("DeviceBoundSessions", "DBSC refuses partitioned cookies: it cannot be combined with CookiePartitioned")
		}
		if cfg.Store != nil && !isNilPointer(cfg.Store) && store.Bindings(cfg.Store) == nil {
			bad("DeviceBoundSessions", "the store (%T) has no store.DeviceBindings", cfg.Store)
		}
		for _, o := range append([]string{cfg.WebsiteDomain}, cfg.Origins...) {
			if h := hostOf(o); h != "" && !slices.Contains(s.dbscInitiators, h) {
				s.dbscInitiators = append(s.dbscInitiators, h)
			}
		}
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	s.verifyNow = s.now
	if s.now == nil {
		s.now, s.verifyNow = clock.Now, clock.Coarse
	}
	if s.revocationPoll == 0 {
		s.revocationPoll = 250 * time.Millisecond
	}
	if s.cacheSize == 0 {
		s.cacheSize = 10000
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// notPathChar reports a character APIBasePath may not hold: anything but
// the URL standard's unreserved characters and "/". Gin would read ":" and
// "*" as route parameters (or panic), and an escape ("%20") is matched
// decoded, so routes and the issuer built from it would disagree.
func notPathChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	}
	return !strings.ContainsRune("-._~/", r)
}

// hostOf is the host of an origin or origin pattern ("https://*.a.example"
// gives "*.a.example", DBSC's own pattern form); "" for "".
func hostOf(o string) string {
	_, rest, ok := strings.Cut(o, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, ":/"); i >= 0 {
		rest = rest[:i]
	}
	return strings.ToLower(rest)
}
