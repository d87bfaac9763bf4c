package ginsession

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/net/publicsuffix"

	"github.com/ginsession/ginsession/store"
)

// AntiCSRFMode selects how cookie-authenticated, state-changing requests
// prove they come from the frontend (docs/protocol.md §4).
type AntiCSRFMode string

const (
	// AntiCSRFAuto (the zero value): VIA_CUSTOM_HEADER when any configured
	// frontend gets SameSite none cookies, otherwise NONE.
	AntiCSRFAuto AntiCSRFMode = ""
	// AntiCSRFViaToken requires the anti-csrf request header to equal the
	// token the backend issued with the session.
	AntiCSRFViaToken AntiCSRFMode = "VIA_TOKEN"
	// AntiCSRFViaCustomHeader requires a rid header (any value); browsers
	// cannot send it cross-site without a CORS preflight.
	AntiCSRFViaCustomHeader AntiCSRFMode = "VIA_CUSTOM_HEADER"
	// AntiCSRFNone performs no check. Safe only with SameSite lax or strict.
	AntiCSRFNone AntiCSRFMode = "NONE"
)

// TransferMethod is how tokens travel: cookies or headers.
type TransferMethod string

const (
	// TransferAny accepts either method (verify and refresh).
	TransferAny TransferMethod = "any"
	// TransferCookie uses the sAccessToken/sRefreshToken cookies.
	TransferCookie TransferMethod = "cookie"
	// TransferHeader uses Authorization and the st-access-token /
	// st-refresh-token response headers.
	TransferHeader TransferMethod = "header"
)

// HostOnly is the OlderCookieDomain value meaning "the old cookies were set
// without a Domain attribute" (the default before CookieDomain was set).
const HostOnly = "<host-only>"

// Hooks are called after session events. Each is optional, runs
// synchronously on the request goroutine, and must not block for long.
type Hooks struct {
	// Created runs after a session is created.
	Created func(SessionEvent)
	// Refreshed runs after a successful refresh (including a retry inside
	// the grace window).
	Refreshed func(SessionEvent)
	// Revoked runs after a session is revoked (sign-out, revoke calls, theft).
	Revoked func(SessionEvent)
	// ClaimFailed runs when claim validation refuses a request.
	ClaimFailed func(ClaimEvent)
	// TheftDetected runs when a rotated-out refresh token is presented; the
	// session has already been revoked.
	TheftDetected func(TheftEvent)
}

// ErrorHandlers replace the responses HandleError writes. Each is optional.
// Before a handler runs, ginsession has already cleared the frontend's
// tokens where the protocol requires it (unauthorised for a gone session,
// theft), so a custom response never leaves a dead session in the browser.
// The handler writes the response and should abort (c.AbortWithStatusJSON
// and friends); it may call Sessions.WriteDefaultError for the default
// body, e.g. on API routes while redirecting browser pages. Keep the status
// codes: the frontend SDK refreshes on 401 and reads 403 bodies.
type ErrorHandlers struct {
	Unauthorised    func(c *gin.Context, err error)
	TryRefreshToken func(c *gin.Context, err error)
	TokenTheft      func(c *gin.Context, err *TheftError)
	InvalidClaim    func(c *gin.Context, err *ClaimValidationError)
}

// SessionEvent describes a session event. It never contains tokens.
type SessionEvent struct {
	Handle string
	UserID string
	Time   time.Time
}

// ClaimEvent describes a claim-validation failure.
type ClaimEvent struct {
	SessionEvent
	Failures []ClaimFailure
}

// TheftEvent describes a detected refresh-token theft.
type TheftEvent struct {
	SessionEvent
	// ClientIP is Gin's c.ClientIP() for the request that presented the
	// stale token. Gin believes X-Forwarded-For and X-Real-IP from the
	// proxies the engine trusts, and by default trusts every peer: call
	// router.SetTrustedProxies(nil), or name your proxies, or any client
	// can write this value.
	ClientIP string
}

// Config configures ginsession. Only Store and APIDomain are required; every
// other field has the default its comment gives. Register and New validate
// the whole struct and return an error naming the bad field; they never
// change the caller's Config.
type Config struct {
	// Store persists sessions and signing keys. Required. See package store:
	// sqlitestore.Open for one process, postgresstore.Open for several.
	Store store.Store

	// APIDomain is the origin the API is served from, e.g.
	// "https://api.example.com" or "http://localhost:8080". Required. It is
	// the token issuer and decides SameSite and Secure defaults.
	APIDomain string

	// APIBasePath is where the session routes are mounted. Default "/auth".
	APIBasePath string

	// WebsiteDomain is the origin of the frontend when there is one.
	// Default: APIDomain (the page is served by the API itself).
	WebsiteDomain string

	// Origins lists every frontend origin when there are several. For each
	// request the origin in use is the listed entry equal to the request's
	// Origin header, else WebsiteDomain. The request's own text is never
	// used. Default: only WebsiteDomain.
	Origins []string

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

	// AntiCSRF is the anti-CSRF mode. Default AntiCSRFAuto: VIA_CUSTOM_HEADER
	// when any configured frontend resolves to SameSite none (whatever the
	// request's Origin says, since an attacker chooses that), else NONE.
	AntiCSRF AntiCSRFMode

	// AccessTokenTTL is the access-token lifetime. Default 1 hour.
	AccessTokenTTL time.Duration

	// RefreshTokenTTL is the refresh-token lifetime, extended on every
	// rotation (sliding). Default 100 days.
	RefreshTokenTTL time.Duration

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
	// (store.Store.AddRevocations and RevocationsSince) carries them.
	RevocationPollInterval time.Duration

	// VerifyCacheSize bounds the cache of verified access tokens (a token
	// seen before skips the signature check; exp is re-checked on every
	// hit). Default 10000 entries (a few MB); negative disables the cache.
	VerifyCacheSize int

	// Logger receives structured security events; it never gets raw tokens.
	// Default: discard.
	Logger *slog.Logger

	// Hooks are called on session events. Default: none.
	Hooks Hooks

	// ErrorHandlers replace the response for each session error. Default:
	// the responses of docs/protocol.md §6.
	ErrorHandlers ErrorHandlers

	// Now is the clock. Default time.Now. Tests inject their own.
	Now func() time.Time
}

// settings is the validated, defaulted configuration with everything
// derived from it computed once.
type settings struct {
	Config
	apiURL       *url.URL
	issuer       string
	basePath     string
	refreshPath  string
	secure       bool
	website      string
	origins      map[string]string // exact origin text -> canonical configured origin
	sameSite     map[string]http.SameSite
	cookieDomain string
	olderDomain  string // "" none, HostOnly, or a domain
	hasOlder     bool
	// anyCrossSite is true when some configured frontend gets SameSite
	// none cookies: then a request's Origin cannot decide whether anti-CSRF
	// applies (a forged request picks its own Origin), so auto mode always
	// requires the custom header.
	anyCrossSite bool
	logger       *slog.Logger
}

func defaultTransferMethod(c *gin.Context, forCreate bool) TransferMethod {
	if !forCreate {
		return TransferAny
	}
	if c.GetHeader("st-auth-mode") == "cookie" {
		return TransferCookie
	}
	return TransferHeader
}

func newSettings(cfg Config) (*settings, error) {
	s := &settings{Config: cfg}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("ginsession: Config.%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if cfg.Store == nil {
		bad("Store", "required (use sqlitestore.Open or postgresstore.Open)")
	}
	u, err := parseOrigin(cfg.APIDomain)
	if err != nil {
		bad("APIDomain", "%v", err)
	}
	s.apiURL = u

	s.basePath = cfg.APIBasePath
	if s.basePath == "" {
		s.basePath = "/auth"
	}
	if !strings.HasPrefix(s.basePath, "/") || strings.ContainsAny(s.basePath, "?#;, \t\r\n") || strings.Contains(s.basePath, "//") {
		bad("APIBasePath", "%q must be a path starting with / without query, spaces or separators", cfg.APIBasePath)
	}
	s.basePath = strings.TrimSuffix(s.basePath, "/")
	s.refreshPath = s.basePath + "/session/refresh"

	if s.apiURL != nil {
		s.issuer = originString(s.apiURL) + s.basePath
	}

	if cfg.CookieSecure != nil {
		s.secure = *cfg.CookieSecure
	} else if s.apiURL != nil {
		s.secure = s.apiURL.Scheme == "https"
	}

	s.website = cfg.WebsiteDomain
	if s.website == "" && s.apiURL != nil {
		s.website = originString(s.apiURL)
	}
	s.origins = map[string]string{}
	s.sameSite = map[string]http.SameSite{}
	all := append([]string{s.website}, cfg.Origins...)
	for i, o := range all {
		if o == "" {
			continue
		}
		field := "WebsiteDomain"
		if i > 0 {
			field = fmt.Sprintf("Origins[%d]", i-1)
		}
		if o == "*" {
			bad(field, "\"*\" is not an origin: list every frontend origin (credentials are never sent to *)")
			continue
		}
		ou, err := parseOrigin(o)
		if err != nil {
			bad(field, "%v", err)
			continue
		}
		canon := originString(ou)
		if i == 0 {
			s.website = canon
		}
		s.origins[canon] = canon
		if s.apiURL == nil {
			continue
		}
		ss, err := resolveSameSite(cfg.CookieSameSite, s.apiURL, ou, s.secure)
		if err != nil {
			bad("CookieSameSite", "for origin %s: %v", canon, err)
			continue
		}
		s.sameSite[canon] = ss
		if ss == http.SameSiteNoneMode {
			s.anyCrossSite = true
		}
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
		} else if s.apiURL != nil && !domainMatches(s.apiURL.Hostname(), d) {
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
		{"AccessTokenTTL", &s.AccessTokenTTL, time.Hour, time.Second},
		{"RefreshTokenTTL", &s.RefreshTokenTTL, 100 * 24 * time.Hour, time.Minute},
		{"RefreshGracePeriod", &s.RefreshGracePeriod, 30 * time.Second, 0},
		{"KeyRotationInterval", &s.KeyRotationInterval, 7 * 24 * time.Hour, time.Minute},
	}
	for _, d := range durations {
		if *d.v == 0 {
			*d.v = d.def
		}
		if *d.v < d.min {
			bad(d.name, "%v is below the minimum %v", *d.v, d.min)
		}
	}
	if s.RefreshTokenTTL < s.AccessTokenTTL {
		bad("RefreshTokenTTL", "%v is shorter than AccessTokenTTL %v", s.RefreshTokenTTL, s.AccessTokenTTL)
	}

	if s.SigningAlgorithm == "" {
		s.SigningAlgorithm = "ES256"
	}
	if _, ok := algorithms[s.SigningAlgorithm]; !ok {
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

	if s.GetTransferMethod == nil {
		s.GetTransferMethod = defaultTransferMethod
	}
	if s.SessionExpiredStatus == 0 {
		s.SessionExpiredStatus = http.StatusUnauthorized
	}
	if s.InvalidClaimStatus == 0 {
		s.InvalidClaimStatus = http.StatusForbidden
	}
	for _, st := range []struct {
		name string
		v    int
	}{{"SessionExpiredStatus", s.SessionExpiredStatus}, {"InvalidClaimStatus", s.InvalidClaimStatus}} {
		if st.v < 400 || st.v > 499 {
			bad(st.name, "%d is not a 4xx status", st.v)
		}
	}
	if s.SessionExpiredStatus == s.InvalidClaimStatus {
		bad("InvalidClaimStatus", "must differ from SessionExpiredStatus (both %d)", s.SessionExpiredStatus)
	}
	seen := map[string]bool{}
	for i, c := range s.Claims {
		switch {
		case c == nil || c.Key() == "":
			bad(fmt.Sprintf("Claims[%d]", i), "nil claim or empty key")
		case protectedClaims[c.Key()]:
			bad(fmt.Sprintf("Claims[%d]", i), "key %q is set by ginsession", c.Key())
		case seen[c.Key()]:
			bad(fmt.Sprintf("Claims[%d]", i), "duplicate key %q", c.Key())
		}
		if c != nil {
			seen[c.Key()] = true
		}
	}
	for i, v := range s.ClaimValidators {
		if v == nil || v.ID() == "" {
			bad(fmt.Sprintf("ClaimValidators[%d]", i), "nil validator or empty ID")
		}
	}
	s.logger = s.Logger
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.RevocationPollInterval == 0 {
		s.RevocationPollInterval = 250 * time.Millisecond
	}
	if s.VerifyCacheSize == 0 {
		s.VerifyCacheSize = 10000
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// parseOrigin accepts "scheme://host[:port]" with an optional trailing "/".
func parseOrigin(o string) (*url.URL, error) {
	if o == "" {
		return nil, errors.New("required, e.g. \"https://api.example.com\"")
	}
	if strings.ContainsAny(o, " \t\r\n;,") {
		return nil, fmt.Errorf("%q contains spaces or separators", o)
	}
	u, err := url.Parse(o)
	if err != nil {
		return nil, fmt.Errorf("%q: %v", o, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q: scheme must be http or https", o)
	}
	if u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q: want scheme://host[:port] only", o)
	}
	if !validHost(u.Hostname()) {
		return nil, fmt.Errorf("%q: %q is not a host name or IP address", o, u.Hostname())
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || strings.HasPrefix(p, "0") {
			return nil, fmt.Errorf("%q: port %q out of range", o, p)
		}
	}
	return u, nil
}

// validHost accepts an IP literal or an ASCII host name of valid labels
// (what a browser puts in an Origin header).
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// originString renders an origin canonically: lower-case scheme and host,
// default ports dropped.
func originString(u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return strings.ToLower(u.Scheme) + "://" + host
}

// isLocal reports whether a host is localhost, a .localhost name or an IP
// address: where SameSite none is allowed without Secure when both ends
// are local (resolveSameSite). It says nothing about sites: two local
// hosts are usually two sites (siteOf).
func isLocal(host string) bool {
	host = strings.ToLower(host)
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || net.ParseIP(host) != nil
}

// siteOf returns a host's site as browsers draw it (the scheme is compared
// separately): an IP address is its own site, in canonical form, so
// 127.0.0.1, 127.0.0.2, ::1 and localhost are four sites; a host name's site
// is its registrable domain (eTLD+1), a name that is itself a public suffix
// being its own site. Unlisted TLDs count as public suffixes (the list's
// default rule, as in Chromium), so localhost is "localhost" and
// a.localhost and b.localhost are two sites.
func siteOf(host string) string {
	host = strings.ToLower(host)
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.String()
	}
	site, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	return site
}

// resolveSameSite picks the SameSite attribute for cookies the frontend at
// origin sends to api: in auto mode, none when the two differ in scheme or
// site (schemeful same-site, siteOf), else lax.
func resolveSameSite(mode string, api, origin *url.URL, secure bool) (http.SameSite, error) {
	var ss http.SameSite
	switch mode {
	case "lax":
		ss = http.SameSiteLaxMode
	case "strict":
		ss = http.SameSiteStrictMode
	case "none":
		ss = http.SameSiteNoneMode
	default:
		ss = http.SameSiteLaxMode
		if api.Scheme != origin.Scheme || siteOf(api.Hostname()) != siteOf(origin.Hostname()) {
			ss = http.SameSiteNoneMode
		}
	}
	// Both ends local (http://localhost and loopback addresses are
	// potentially trustworthy to browsers): none without Secure, as in
	// development on http://localhost:8080 and http://127.0.0.1:5173.
	if ss == http.SameSiteNoneMode && !secure && !(isLocal(api.Hostname()) && isLocal(origin.Hostname())) {
		return ss, errors.New("SameSite none requires Secure cookies (an https APIDomain or CookieSecure) unless API and frontend are both localhost or IP addresses")
	}
	return ss, nil
}

// ValidateCookieDomain checks a cookie domain such as ".example.com" and
// returns it lower-cased with the leading dot. It refuses IPs, localhost,
// public suffixes (com, co.uk, github.io), ports, schemes, paths and any
// character a Set-Cookie header would mangle: Go's cookie writer silently
// drops a Domain attribute it finds invalid, which would turn a shared
// cookie into a host-only one without a word.
func ValidateCookieDomain(d string) (string, error) {
	if d == "" {
		return "", errors.New("empty cookie domain")
	}
	if len(d) > 253 {
		return "", errors.New("cookie domain longer than 253 characters")
	}
	if strings.Contains(d, "://") {
		return "", fmt.Errorf("%q: a cookie domain has no scheme", d)
	}
	for _, r := range d {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return "", fmt.Errorf("%q: invalid character %q (a cookie domain is a host name: letters, digits, '-' and '.'; no port, path or separator)", d, r)
		}
	}
	host := strings.ToLower(strings.TrimPrefix(d, "."))
	if host == "" || strings.HasPrefix(host, ".") || strings.HasSuffix(host, ".") || strings.Contains(host, "..") {
		return "", fmt.Errorf("%q: malformed host name", d)
	}
	if net.ParseIP(host) != nil || isAllDigitsAndDots(host) {
		return "", fmt.Errorf("%q: an IP address cannot be a cookie domain (use host-only cookies)", d)
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return "", fmt.Errorf("%q: browsers refuse localhost as a cookie domain (leave CookieDomain empty)", d)
	}
	for _, label := range strings.Split(host, ".") {
		if len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return "", fmt.Errorf("%q: malformed label %q", d, label)
		}
	}
	if ps, _ := publicsuffix.PublicSuffix(host); ps == host {
		return "", fmt.Errorf("%q is a public suffix: browsers refuse cookies for it", d)
	}
	if !strings.Contains(host, ".") {
		return "", fmt.Errorf("%q: a cookie domain needs at least two labels", d)
	}
	return "." + host, nil
}

func isAllDigitsAndDots(s string) bool {
	for _, r := range s {
		if r != '.' && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// domainMatches reports whether host is covered by a ".example.com" domain.
func domainMatches(host, domain string) bool {
	host = strings.ToLower(host)
	bare := strings.TrimPrefix(domain, ".")
	return host == bare || strings.HasSuffix(host, domain)
}

// originFor returns the configured frontend origin that applies to r: the
// configured entry equal to the request's Origin header, else the website
// origin. It never returns the request's text itself.
func (s *settings) originFor(r *http.Request) string {
	if len(s.origins) > 1 {
		vals := r.Header.Values("Origin")
		if len(vals) == 1 {
			if canon, ok := s.origins[vals[0]]; ok {
				return canon
			}
		}
	}
	return s.website
}

// sameSiteFor resolves the SameSite attribute for this request.
func (s *settings) sameSiteFor(r *http.Request) http.SameSite {
	return s.sameSite[s.originFor(r)]
}

// antiCSRFFor resolves the anti-CSRF mode for this request.
func (s *settings) antiCSRFFor(r *http.Request, override AntiCSRFMode) AntiCSRFMode {
	mode := s.AntiCSRF
	if override != AntiCSRFAuto {
		mode = override
	}
	if mode != AntiCSRFAuto {
		return mode
	}
	if s.anyCrossSite {
		return AntiCSRFViaCustomHeader
	}
	return AntiCSRFNone
}
