package ginsession

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/metric"

	"github.com/ginsession/ginsession/store"
)

// Config configures ginsession. Only Store and APIDomain are required; every
// other field has the default its comment gives. Register and New validate
// the whole struct and return an error naming the bad field; they never
// change the caller's Config.
type Config struct {
	// Store persists sessions and signing keys. Required. See package store:
	// sqlitestore.Open for one process; postgresstore.Open or
	// mysqlstore.Open (MariaDB) for several instances on one database;
	// gormstore.New for a *gorm.DB opened elsewhere; memstore.New in memory,
	// for tests and single-process development; or any store.Store that
	// passes store/storetest.
	Store store.Store

	// APIDomain is the origin the API is served from, e.g.
	// "https://api.example.com" or "http://localhost:8080". Required. It is
	// the token issuer and decides SameSite and Secure defaults.
	APIDomain string

	// APIBasePath is where the session routes are mounted. Default "/auth".
	APIBasePath string

	// WebsiteDomain is the origin of the default frontend: the one a
	// request is for when it names no configured frontend. Default:
	// GetOrigin(nil) when that names one, else APIDomain (the page is
	// served by the API itself).
	WebsiteDomain string

	// Origins lists the other frontends: exact origins, and patterns with
	// one wildcard label, "https://*.app.example.com", which match any one
	// label in its place ("https://acme.app.example.com", not
	// "https://a.b.app.example.com" nor "https://app.example.com") with the
	// same scheme and port. A pattern must stay inside one registrable
	// domain: "*" alone, "https://*.com", "https://*.co.uk" and other public
	// suffixes (per the public-suffix list) are refused. Each entry's
	// SameSite is decided here, from the configuration alone. Sessions.CORS
	// allows exactly these origins and WebsiteDomain. Default: none.
	Origins []string

	// GetOrigin names the frontend a request is for, when the request's
	// Origin header cannot: a mobile app or a privacy setting sends none,
	// and the client says who it is in a header of its own. It is called
	// with the request (at most once per request, when cookies are written
	// or FrontendOrigin asks) and once with nil by New: its answer there (if
	// not "") is the default frontend. "" names no frontend: the default. An
	// answer is used only when it is WebsiteDomain, an Origins entry or a
	// match of an Origins pattern; anything else is logged and the default
	// frontend used, so the request's own text never decides a cookie. It
	// must handle a nil request and be safe for concurrent use. Default: the
	// request's Origin header, checked the same way.
	GetOrigin func(r *http.Request) string

	// CookieDomain shares cookies across subdomains, e.g. ".example.com".
	// Default "": host-only cookies. IPs, "localhost", public suffixes, ports,
	// schemes and separators are refused.
	CookieDomain string

	// OlderCookieDomain is the cookie domain used before CookieDomain
	// changed (HostOnly if cookies were host-only). When a request carries
	// duplicate session cookies, ginsession clears the ones on this domain.
	// Default "": no migration.
	OlderCookieDomain string

	// CookieSecure sets the Secure attribute. Default: true when APIDomain
	// is https.
	CookieSecure *bool

	// CookieSameSite is "lax", "strict", "none" or "" (auto, the default):
	// per request, "none" when the API and the request's frontend origin
	// differ in scheme or registrable domain, else "lax". SameSite none
	// requires Secure unless both sides are localhost or IPs.
	CookieSameSite string

	// ExposeAccessTokenInCookieMode also sends the access token in the
	// st-access-token header in cookie mode, so the frontend SDK's
	// getAccessToken() returns it and the app can call another service
	// that verifies the JWT itself (through the JWKS or OpenID discovery).
	// The trade-off: the token becomes readable by every script on the
	// page, which HttpOnly cookies otherwise prevent, so an XSS can carry
	// it off (until it expires; the refresh token stays HttpOnly). Default
	// false.
	ExposeAccessTokenInCookieMode bool

	// CookiePartitioned adds the Partitioned attribute (CHIPS) to the
	// session cookies, for a frontend embedded in an iframe on another
	// site: browsers that block third-party cookies keep partitioned ones,
	// in a jar of their own for each top-level site. SameSite auto then
	// resolves to none for every frontend (and AntiCSRF auto to
	// VIA_CUSTOM_HEADER); it requires Secure cookies. The frontend SDK
	// writes cookies of its own and needs settings for an iframe: see
	// docs/frontends.md, "Embedded frontends". Default false.
	CookiePartitioned bool

	// AntiCSRF is the anti-CSRF mode. Default AntiCSRFAuto: VIA_CUSTOM_HEADER
	// when any configured frontend resolves to SameSite none (whatever the
	// request's Origin says, since an attacker chooses that), else NONE.
	AntiCSRF AntiCSRFMode

	// AccessTokenTTL is the access-token lifetime. Default 1 hour.
	AccessTokenTTL time.Duration

	// RefreshTokenTTL is the refresh-token lifetime, extended on every
	// rotation (sliding). Default 100 days. (A BrowserSessionOnly session
	// slides by BrowserSessionIdleTimeout instead.)
	RefreshTokenTTL time.Duration

	// MaxSessionAge ends every session this long after it was created,
	// however often it is refreshed: no access token outlives it, and a
	// refresh after it answers unauthorised (the frontend signs the user
	// out). The sliding RefreshTokenTTL still applies before it. Default 0:
	// no absolute limit. Minimum 1 minute.
	MaxSessionAge time.Duration

	// BrowserSessionIdleTimeout is how long a session created with
	// BrowserSessionOnly lives without a refresh. Its cookies have no
	// Expires, so once the browser closes nobody can reach it again; its
	// row expires this long after its last refresh (each refresh slides
	// it), so it then leaves the lists and stops counting towards
	// MaxSessionsPerUser. An open tab refreshes when its access token has
	// expired and it makes a request, so a tab left idle for longer is
	// signed out. It must be longer than AccessTokenTTL and at most
	// RefreshTokenTTL (equal: no shorter lifetime). Default 24 hours (a tab
	// left open overnight still works), or twice AccessTokenTTL when that
	// is longer, never more than RefreshTokenTTL.
	BrowserSessionIdleTimeout time.Duration

	// MaxSessionsPerUser caps a user's live sessions (those whose stored
	// expiry has not passed: see BrowserSessionIdleTimeout). A sign-in
	// beyond it evicts the oldest (SessionLimitEvictOldest) or is refused
	// with a *SessionLimitError (SessionLimitRefuseNew), atomically across
	// every instance sharing the database. Anonymous sessions each have a
	// user of their own. Default 0: no cap.
	MaxSessionsPerUser int

	// SessionLimitPolicy says what a sign-in beyond MaxSessionsPerUser does.
	// Default SessionLimitEvictOldest.
	SessionLimitPolicy SessionLimitPolicy

	// OmitClientIP keeps client IP addresses out of the session metadata
	// (SessionInfo.CreatedIP and LastIP stay empty). An IP address is
	// personal data in many jurisdictions: turn this on when you have no use
	// for it in the user's device list. The IP is Gin's ClientIP, so it
	// depends on the router's trusted proxies. Default false: recorded.
	OmitClientIP bool

	// RefreshGracePeriod is how long after a rotation the previous refresh
	// token still works (and yields the same new token). Default 30 s.
	RefreshGracePeriod time.Duration

	// SigningAlgorithm is "ES256" (default), "RS256" or "EdDSA".
	SigningAlgorithm string

	// KeyRotationInterval is how long one signing key signs before the next
	// takes over. Default 7 days. Minimum 1 minute.
	KeyRotationInterval time.Duration

	// MasterKey, when set (at least 32 bytes), derives the refresh-token
	// authentication key and encrypts signing private keys in the store, so
	// a copy of the database alone cannot forge tokens. Default: a random
	// secret kept in the store (documented trade-off: whoever reads the
	// database can mint tokens). All instances must share the same value.
	MasterKey []byte

	// AcceptMasterKeys are further master keys whose refresh tokens (and
	// VIA_TOKEN anti-CSRF tokens) are accepted besides MasterKey's. New
	// tokens are always issued under MasterKey, and a session refreshed with
	// a token of an accepted key continues under MasterKey, so changing the
	// MasterKey signs nobody out. Changing it on several instances takes two
	// rollouts: first add the new key here everywhere, then make it the
	// MasterKey with the old one here. Drop an old key once RefreshTokenTTL
	// has passed. Each must be at least 32 bytes. Default: none.
	AcceptMasterKeys [][]byte

	// AcceptStoredSecret also accepts refresh tokens issued under the secret
	// kept in the store, which is what ginsession uses when no MasterKey is
	// set: turn it on when adding a first MasterKey to a running deployment,
	// and off once RefreshTokenTTL has passed (while it is on, whoever can
	// read the database can still authenticate refresh tokens). Only
	// meaningful with MasterKey. Default false.
	AcceptStoredSecret bool

	// GetTransferMethod decides the transfer method for a request. forCreate
	// is true when a new session is being created. Default: for creation,
	// TransferCookie when the st-auth-mode request header is "cookie", else
	// TransferHeader; otherwise TransferAny (accept either, header wins).
	GetTransferMethod func(c *gin.Context, forCreate bool) TransferMethod

	// SessionExpiredStatus is the status of "unauthorised", "try refresh
	// token" and "token theft detected". Default 401. Must match the
	// frontend's sessionExpiredStatusCode.
	SessionExpiredStatus int

	// InvalidClaimStatus is the status of claim-validation failures. Default
	// 403. Must differ from SessionExpiredStatus.
	InvalidClaimStatus int

	// Claims are fetched into the access-token payload when a session is
	// created and at every refresh. Default none.
	Claims []Claim

	// ClaimValidators run on every Verify unless a route overrides them.
	// Default none.
	ClaimValidators []ClaimValidator

	// RevocationPollInterval is how often each instance reads the handles
	// of recently revoked sessions from the store, so their access tokens
	// are refused everywhere within about this long — with no database read
	// per request. Default 250 ms; negative disables propagation (revoked
	// sessions' access tokens then work until they expire, except on
	// CheckDatabase routes). The store's revocation log
	// (store.RevocationLog: AddRevocations and RevocationsSince) carries
	// them; a store that can push (the optional store.RevocationWatcher:
	// Postgres) makes every instance read it at once, and polling remains
	// the fallback. New finds out which (store.Watcher) and logs it once at
	// Info: revocations "pushed", or "polled" every RevocationPollInterval
	// because the store cannot push.
	RevocationPollInterval time.Duration

	// VerifyCacheSize bounds the cache of verified access tokens (a token
	// seen before skips the signature check; exp is re-checked on every
	// hit). Default 10000 entries (a few MB); negative disables the cache.
	VerifyCacheSize int

	// DeviceBoundSessions binds cookie sessions to a key the browser keeps
	// and never exports (Device Bound Session Credentials, W3C
	// webappsec-dbsc): a browser that supports it registers at sign-in, and
	// from then on its session refreshes only with a short-lived cookie the
	// browser renews by signing a challenge, so cookies copied to another
	// machine stop refreshing within CookieMaxAge. Browsers without it, and
	// header-mode clients, are unaffected. docs/device-bound-sessions.md
	// says what it protects against and what not. Default: off.
	DeviceBoundSessions DeviceBoundSessions

	// Logger receives structured security events; it never gets raw tokens.
	// Default: discard.
	Logger *slog.Logger

	// MeterProvider receives ginsession's metrics through the OpenTelemetry
	// metric API: sessions created, refreshes and verifications by outcome,
	// revocations, revocation propagation lag and store call durations
	// (docs/metrics.md lists names, units and attributes). The app picks the SDK and
	// exporter. Default: no metrics (a no-op provider); pass
	// otel.GetMeterProvider() to use the global one.
	MeterProvider metric.MeterProvider

	// Hooks are called on session events. Default: none.
	Hooks Hooks

	// ErrorHandlers replace the response for each session error. Default:
	// the responses of docs/protocol.md §6.
	ErrorHandlers ErrorHandlers

	// Now is the clock. Default: the wall clock, read at half the cost of
	// time.Now on the request paths (a step of the system clock shows after
	// at most a second); the verification of a request reads a reading
	// refreshed every 10 ms instead, so an access token is accepted up to
	// about 10 ms past its exp. Tests inject their own, which every path
	// then uses.
	Now func() time.Time

	// CoreCompat lets backends still on supertokens-node (SuperTokens'
	// backend SDK for Node.js) verify this engine's sessions while an app
	// moves off the SuperTokens core: access tokens take the core's token
	// version 5 shape (three more claims: tId, rsub, refreshTokenHash1),
	// and MountCoreCompat serves what the SDK asks its core when it
	// verifies. Nothing there creates or refreshes a session.
	// docs/supertokens-node-coexistence.md. Default nil: off.
	CoreCompat *CoreCompat
}

// CoreCompat configures what ginsession answers in place of the SuperTokens
// core to backends on supertokens-node (Config.CoreCompat).
type CoreCompat struct {
	// APIKey is the core API key those backends are configured with
	// (supertokens.apiKey in the SDK's init). When set, the API version
	// and the session verification answer only requests that carry it;
	// the JWKS stays public, as the core's is. Default "": no key is asked
	// for, which suits only a path no one outside the backends can reach.
	APIKey string
}

// SessionLimitPolicy is what a sign-in beyond Config.MaxSessionsPerUser
// does.
type SessionLimitPolicy string

const (
	// SessionLimitEvictOldest revokes the user's oldest sessions to make
	// room (the default).
	SessionLimitEvictOldest SessionLimitPolicy = ""
	// SessionLimitRefuseNew refuses the new session with a
	// *SessionLimitError (ErrSessionLimit) listing the user's sessions, so
	// the app can offer to sign one out (RevokeUserSession) and continue.
	SessionLimitRefuseNew SessionLimitPolicy = "refuse-new"
)

// DeviceBoundSessions configures Device Bound Session Credentials
// (Config.DeviceBoundSessions).
type DeviceBoundSessions struct {
	// Enabled offers binding at every cookie sign-in (the
	// Secure-Session-Registration header on the response of Create) and
	// mounts the registration and DBSC refresh routes under APIBasePath.
	// It needs Secure cookies (browsers do DBSC only over HTTPS),
	// unpartitioned cookies (DBSC refuses Partitioned ones) and a store
	// with store.DeviceBindings (every store of this module has it).
	// Default false.
	Enabled bool

	// CookieMaxAge is the bound cookie's lifetime: how long a copy of it
	// taken from the browser still lets a thief refresh. The browser
	// renews it with a signed challenge when the frontend refreshes after
	// it expired, so a shorter one costs one extra round trip per refresh,
	// never a sign-out. Default 2 minutes; between 10 seconds and 1 hour.
	CookieMaxAge time.Duration
}
