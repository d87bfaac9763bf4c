// Command example is a small runnable app that shows ginsession at work: a
// Gin server with its own email/password users, notes kept per user, a list
// of the user's sessions (sign out other devices), and a demo page that talks
// to the API the way the SuperTokens frontend SDK does (front-token,
// automatic refresh on 401, sign-out), with cookies or, at /?mode=header,
// with tokens in headers.
//
// It is a module of its own (the library's module leaves its dependencies
// out). Run it from this directory with
//
//	go run .                      # SQLite file ginsession-example.db, http://localhost:8080
//	go run . -access-ttl 5s       # watch the page refresh its access token
//	go run . -db postgres://user:pass@localhost/app
//	go run . -origins http://localhost:3000   # a separate frontend (CORS)
//
// and open http://localhost:8080. Flags: -addr, -db (or DATABASE_URL),
// -access-ttl, -origins, -api-domain, -cookie-domain, -older-cookie-domain,
// -cookie-secure, -anti-csrf, -static-dir, -trusted-proxies (the reverse
// proxies whose X-Forwarded-For is believed; default none), -listen-dsn
// (where Postgres LISTENs for revocations: the direct server DSN behind
// pgbouncer), -key-rotation (how long each signing key signs),
// -max-sessions and -session-limit-policy (the per-user session cap) and
// -test-hooks (test-only endpoints, never in production).
//
// Routes:
//
//	POST   /signup, /signin            {"email","password"}, starts a session
//	                                   (409 with the user's sessions at the cap)
//	POST   /signin/replace             {"email","password","handle"}: signs that
//	                                   session out, then signs in
//	GET    /api/me                     the session's user id, handle and payload (the user's
//	                                   homeFrontend), and the frontend of this request
//	GET    /api/notes, POST /api/notes the user's notes
//	GET    /api/sessions               the user's sessions
//	POST   /api/sessions/revoke-others sign out every other device
//	DELETE /api/sessions/:handle       revoke one of them
//	POST   /auth/session/refresh, POST /auth/signout, GET /auth/jwt/jwks.json (ginsession)
//	GET    /                           the demo page
//
// Every request body is limited to 64 KiB (limitBody): a larger one is
// answered 413 {"message": "request body too large: ..."}, unread when its
// Content-Length says so.
//
// The app is built by NewApp from Options, so tests can run it without flags.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"database/sql"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store/gormstore"
)

// DefaultDB is the SQLite file used when neither -db nor DATABASE_URL is given.
const DefaultDB = "ginsession-example.db"

// Options configures the example app. The zero value plus a DB is enough:
// every other field has the default its comment gives.
type Options struct {
	// Addr is the listen address (used by main only). Default ":8080".
	Addr string

	// DB is the database: a postgres:// (or postgresql://) URL selects
	// Postgres, anything else is an SQLite file path. Required.
	DB string

	// APIDomain is the origin the API is served from, e.g.
	// "http://localhost:8080". Default "http://localhost:8080".
	APIDomain string

	// AccessTTL is the access-token lifetime. Default 1 hour.
	AccessTTL time.Duration

	// Origins lists the frontends allowed to call the API cross-origin
	// (CORS with credentials): origins, and patterns with one wildcard
	// label such as "https://*.app.example.com" (ginsession.Config.Origins).
	// The first must be an origin: the default frontend. A request without
	// an Origin header (a mobile app) names its tenant in an X-Tenant
	// header, which stands for the first pattern's "*" (tenantOrigin).
	// Default none: same origin only.
	Origins []string

	// ExposeAccessToken also sends the access token in cookie mode, for
	// the SDK's getAccessToken() (ginsession.Config.ExposeAccessTokenInCookieMode).
	// Default false.
	ExposeAccessToken bool

	// CookiePartitioned adds the Partitioned attribute to the session
	// cookies, for a frontend embedded in an iframe on another site
	// (ginsession.Config.CookiePartitioned). Needs Secure cookies. Default
	// false.
	CookiePartitioned bool

	// CookieDomain shares the session cookies across subdomains, e.g.
	// ".example.com". Default "": host-only cookies.
	CookieDomain string

	// OlderCookieDomain is the cookie domain used before CookieDomain
	// changed (ginsession.HostOnly when the cookies were host-only);
	// duplicate session cookies left there are cleared. Default "": none.
	OlderCookieDomain string

	// AntiCSRF is the anti-CSRF mode (ginsession.AntiCSRFViaToken, ...).
	// Default ginsession.AntiCSRFAuto.
	AntiCSRF ginsession.AntiCSRFMode

	// CookieSecure forces the cookies' Secure attribute on or off. Default
	// nil: Secure when APIDomain is https. Browsers accept Secure cookies
	// from http://localhost, which cross-site frontends on localhost need.
	CookieSecure *bool

	// StaticDir, when set, serves the files in that directory under
	// /static/ (no listings), so a frontend built elsewhere can be served
	// from the API's own origin. Default "": nothing is served there.
	StaticDir string

	// TrustedProxies lists the reverse proxies (IPs or CIDRs) whose
	// X-Forwarded-For / X-Real-IP headers name the client, for Gin's
	// ClientIP: the client_ip of ginsession's security events (failed and
	// stolen refresh tokens). Default none: ClientIP is the connection's
	// peer, and a client cannot spoof it with a header.
	TrustedProxies []string

	// ListenDSN is where Postgres LISTENs for revocations announced by
	// other instances (gormstore.Options.ListenDSN): behind pgbouncer in
	// transaction mode, the server's direct DSN; "off" polls only.
	// Default "": DB itself.
	ListenDSN string

	// MaxSessionsPerUser caps each user's sessions
	// (ginsession.Config.MaxSessionsPerUser). Default 0: no cap.
	MaxSessionsPerUser int

	// SessionLimitPolicy is what a sign-in beyond MaxSessionsPerUser does
	// (ginsession.SessionLimitRefuseNew: /signin answers 409 with the
	// user's devices). Default ginsession.SessionLimitEvictOldest.
	SessionLimitPolicy ginsession.SessionLimitPolicy

	// KeyRotation is how long each signing key signs
	// (ginsession.Config.KeyRotationInterval, at least a minute). Default
	// 0: ginsession's default, 7 days.
	KeyRotation time.Duration

	// RefreshGrace is how long a rotated-away refresh token still yields
	// the same new tokens (ginsession.Config.RefreshGracePeriod). Default
	// 0: ginsession's default, 30 seconds. The browser suite shortens it to
	// replay an old token as theft without waiting half a minute.
	RefreshGrace time.Duration

	// DeviceBoundSessions binds cookie sessions to a key the browser keeps
	// (ginsession.Config.DeviceBoundSessions, Device Bound Session
	// Credentials): Chromium registers at sign-in, and a copy of the
	// cookies stops refreshing within DBSCCookieMaxAge. Needs an https
	// APIDomain (TLSCert and TLSKey, or a proxy that terminates TLS).
	// Default false.
	DeviceBoundSessions bool

	// DBSCCookieMaxAge is the bound cookie's lifetime
	// (ginsession.DeviceBoundSessions.CookieMaxAge). Default 0:
	// ginsession's 2 minutes.
	DBSCCookieMaxAge time.Duration

	// TLSCert and TLSKey, both set, make main serve HTTPS with this
	// certificate and key (PEM files). Default "": plain HTTP.
	TLSCert, TLSKey string

	// TestHooks mounts GET /test/stats, POST /test/revoke-all and
	// GET /test/invalid-claim. They are for automated tests only: never
	// enable them on a real deployment (revoke-all logs everybody out,
	// unauthenticated).
	TestHooks bool

	// BcryptCost is the password hashing cost. Default bcrypt.DefaultCost.
	// Tests lower it to keep the suite fast.
	BcryptCost int

	// Logger receives request and session logs. Default: discard.
	Logger *slog.Logger
}

// App is the example application: an HTTP handler plus the store it owns.
type App struct {
	opts      Options
	store     *gormstore.GORMStore
	db        *gorm.DB
	sessions  *ginsession.Sessions
	engine    *gin.Engine
	stats     *stats
	log       *slog.Logger
	metrics   *appMetrics
	dummyHash []byte // compared against for unknown emails, so timing does not reveal them
}

// NewApp opens the database, creates the app's tables, configures ginsession
// and builds the routes. Close the App when done.
func NewApp(opts Options) (*App, error) {
	if opts.DB == "" {
		return nil, errors.New("example: Options.DB is required")
	}
	if opts.APIDomain == "" {
		opts.APIDomain = "http://localhost:8080"
	}
	if opts.AccessTTL == 0 {
		opts.AccessTTL = time.Hour
	}
	if opts.BcryptCost == 0 {
		opts.BcryptCost = bcrypt.DefaultCost
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	st, err := openStore(opts.DB, gormstore.Options{Logger: logger, ListenDSN: opts.ListenDSN})
	if err != nil {
		return nil, fmt.Errorf("example: opening the database: %w", err)
	}
	metrics, err := newAppMetrics()
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("example: metrics: %w", err)
	}
	a := &App{opts: opts, store: st, db: st.DB(), stats: newStats(), log: logger, metrics: metrics}
	if err := a.init(); err != nil {
		_ = st.Close()
		_ = metrics.close()
		return nil, err
	}
	return a, nil
}

// migrateLockKey names the lock that serialises the creation of the
// example's tables across instances (the store serialises its own tables
// the same way, under a key of its own).
const migrateLockKey = "ginsession/example/migrate"

// migrate creates or updates the example's tables. Instances starting
// together on one database must not run it at once: GORM's AutoMigrate
// checks for a table and then creates it, and two instances creating one
// table at once fail (Postgres: duplicate key in pg_type_typname_nsp_index,
// or "relation already exists"; MariaDB: "Table … already exists", or
// "Table definition has changed" for a transaction that began before
// another instance made the table).
//
// On Postgres it runs in one transaction that first takes a
// transaction-scoped advisory lock (released at commit or rollback;
// Postgres DDL is transactional, so the next instance finds the tables
// made). MariaDB commits every DDL statement at once and cannot hold it in
// a transaction, so there it runs on one connection holding a named lock
// (GET_LOCK), outside any transaction. On SQLite the store's write
// transactions are BEGIN IMMEDIATE, which serialises instances sharing the
// file in the same way.
func (a *App) migrate() error {
	var err error
	switch a.db.Dialector.Name() {
	case "mysql":
		err = a.db.Connection(func(conn *gorm.DB) error {
			var got int
			if err := conn.Raw("SELECT GET_LOCK(?, 60)", migrateLockKey).Scan(&got).Error; err != nil {
				return fmt.Errorf("taking the migration lock: %w", err)
			}
			if got != 1 {
				return errors.New("taking the migration lock: another instance held it for 60 s")
			}
			err := conn.AutoMigrate(&user{}, &note{})
			var released sql.NullInt64
			if rerr := conn.Raw("SELECT RELEASE_LOCK(?)", migrateLockKey).Scan(&released).Error; err == nil && rerr != nil {
				err = fmt.Errorf("releasing the migration lock: %w", rerr)
			}
			return err
		})
	default:
		err = a.db.Transaction(func(tx *gorm.DB) error {
			if tx.Dialector.Name() == "postgres" {
				if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtext(?))", migrateLockKey).Error; err != nil {
					return fmt.Errorf("taking the migration lock: %w", err)
				}
			}
			return tx.AutoMigrate(&user{}, &note{})
		})
	}
	if err != nil {
		return fmt.Errorf("example: creating tables: %w", err)
	}
	return nil
}

func (a *App) init() error {
	if err := a.migrate(); err != nil {
		return err
	}
	cfg := ginsession.Config{
		Store:               a.store,
		APIDomain:           a.opts.APIDomain,
		AccessTokenTTL:      a.opts.AccessTTL,
		KeyRotationInterval: a.opts.KeyRotation,
		RefreshGracePeriod:  a.opts.RefreshGrace,
		MaxSessionsPerUser:  a.opts.MaxSessionsPerUser,
		SessionLimitPolicy:  a.opts.SessionLimitPolicy,
		Logger:              a.log,
		Hooks:               a.stats.hooks(),

		CookieDomain:      a.opts.CookieDomain,
		OlderCookieDomain: a.opts.OlderCookieDomain,
		AntiCSRF:          a.opts.AntiCSRF,
		CookieSecure:      a.opts.CookieSecure,
		CookiePartitioned: a.opts.CookiePartitioned,
		MeterProvider:     a.metrics.provider,

		ExposeAccessTokenInCookieMode: a.opts.ExposeAccessToken,

		DeviceBoundSessions: ginsession.DeviceBoundSessions{
			Enabled: a.opts.DeviceBoundSessions, CookieMaxAge: a.opts.DBSCCookieMaxAge,
		},
	}
	if len(a.opts.Origins) > 0 {
		cfg.WebsiteDomain = a.opts.Origins[0]
		cfg.Origins = a.opts.Origins[1:]
		cfg.GetOrigin = tenantOrigin(a.opts.Origins)
	}
	sessions, err := ginsession.New(cfg)
	if err != nil {
		return fmt.Errorf("example: %w", err)
	}
	a.sessions = sessions

	r := gin.New()
	// Gin trusts every proxy unless told otherwise: any client could then
	// choose its ClientIP with X-Forwarded-For. Nil trusts none.
	if err := r.SetTrustedProxies(a.opts.TrustedProxies); err != nil {
		return fmt.Errorf("example: -trusted-proxies: %w", err)
	}
	r.Use(gin.Recovery())
	if a.opts.Logger != nil {
		r.Use(a.accessLog)
	}
	if a.opts.TestHooks {
		// Outermost after recovery, so CORS preflights are counted too.
		r.Use(a.stats.count)
	}
	if len(a.opts.Origins) > 0 {
		// CORS allows exactly the frontends the sessions serve, on the
		// app's own routes (the session routes carry it themselves).
		r.Use(sessions.CORS())
	}
	// One limit on every request body, before any route is added (Gin
	// applies middleware to the routes added after it), after CORS so
	// that a browser can read the 413.
	r.Use(limitBody)
	if err := sessions.Mount(r); err != nil {
		return fmt.Errorf("example: %w", err)
	}

	r.POST("/signup", a.signUp)
	r.POST("/signin", a.signIn)
	r.POST("/signin/replace", a.signInReplacing)
	r.GET("/cart", sessions.Verify(ginsession.Optional()), a.getCart)
	r.POST("/cart", sessions.Verify(ginsession.Optional()), a.addToCart)

	api := r.Group("/api", sessions.Verify())
	api.GET("/me", a.me)
	api.GET("/notes", a.listNotes)
	api.POST("/notes", a.addNote)

	// Listing and revoking sessions confirm the caller's own session still
	// exists, so a device that was signed out elsewhere is refused at once.
	checked := r.Group("/api/sessions", sessions.Verify(ginsession.CheckDatabase()))
	checked.GET("", a.listSessions)
	checked.POST("/revoke-others", a.revokeOthers)
	checked.DELETE("/:handle", a.revokeSession)

	if a.opts.TestHooks {
		r.GET("/test/stats", a.testStats)
		r.POST("/test/revoke-all", a.testRevokeAll)
		r.GET("/test/invalid-claim", sessions.Verify(ginsession.WithClaimValidators(neverHolds)), a.me)
	}

	// The session metrics in the Prometheus text format. A real deployment
	// serves them where only its monitoring can reach them (another port,
	// or behind the proxy's access rules): the counts are not secret, but
	// they are not every visitor's business either.
	r.GET("/metrics", gin.WrapH(a.metrics.handler))

	mountPage(r)
	if a.opts.StaticDir != "" {
		r.StaticFS("/static", gin.Dir(a.opts.StaticDir, false))
	}
	a.engine = r

	dummy, err := bcrypt.GenerateFromPassword([]byte(randomID()), a.opts.BcryptCost)
	if err != nil {
		return fmt.Errorf("example: bcrypt: %w", err)
	}
	a.dummyHash = dummy
	return nil
}

// Handler returns the app's HTTP handler.
func (a *App) Handler() http.Handler { return a.engine }

// Sessions returns the ginsession engine the app uses.
func (a *App) Sessions() *ginsession.Sessions { return a.sessions }

// Close releases the database and the metrics pipeline. The handler must
// not be used afterwards.
func (a *App) Close() error { return errors.Join(a.store.Close(), a.metrics.close()) }

// accessLog logs one line per request.
func (a *App) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	a.log.Info("request", "method", c.Request.Method, "path", c.Request.URL.Path,
		"status", c.Writer.Status(), "duration", time.Since(start).Round(time.Microsecond))
}

// randomID returns a random UUID (version 4) string.
func randomID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// message answers status with {"message": msg} and aborts.
func message(c *gin.Context, status int, msg string) {
	c.AbortWithStatusJSON(status, gin.H{"message": msg})
}

// internalError logs err and answers 500 without details.
func (a *App) internalError(c *gin.Context, op string, err error) {
	a.log.Error("example: "+op, "err", err, "path", c.Request.URL.Path)
	message(c, http.StatusInternalServerError, "internal error")
}

// dbError answers a failed query of the app's own tables as ginsession
// answers a failed store: 503 with Retry-After, tokens untouched. The
// database is down, restarting or overloaded, and the client may retry; a
// 500 would call it a bug. Wrapping the error in ginsession.ErrStorage and
// handing it to HandleError gives the protocol's answer (and logs it).
func (a *App) dbError(c *gin.Context, op string, err error) {
	a.sessions.HandleError(c, fmt.Errorf("%w: example: %s: %w", ginsession.ErrStorage, op, err))
}
