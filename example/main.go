package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

func main() {
	opts, err := parseFlags(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "Usage: %s [flags]\n", os.Args[0])
		fs, _ := newFlagSet(&Options{}, new(string))
		fs.SetOutput(os.Stderr)
		fs.PrintDefaults()
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "example: %v (see -h)\n", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	opts.Logger = logger
	if err := run(opts, logger); err != nil {
		reportFatal(os.Stderr, logger, err)
		os.Exit(1)
	}
}

// run serves the app until SIGINT or SIGTERM, then shuts down gracefully.
func run(opts Options, logger *slog.Logger) error {
	gin.SetMode(gin.ReleaseMode)
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	scheme := "http"
	if opts.TLSCert != "" {
		scheme = "https"
	}
	if opts.APIDomain == "" {
		// -addr with port 0: the port is known only now.
		opts.APIDomain = scheme + "://localhost:" + port
	}
	app, err := NewApp(opts)
	if err != nil {
		return err
	}
	defer func() {
		if err := app.Close(); err != nil {
			logger.Error("example: closing the store", "err", err)
		}
	}()

	logger.Info("listening on "+scheme+"://localhost:"+port, "api_domain", opts.APIDomain,
		"database", describeDB(opts.DB), "access_ttl", opts.AccessTTL.String(),
		"origins", strings.Join(opts.Origins, ","), "cookie_partitioned", opts.CookiePartitioned, "test_hooks", opts.TestHooks)
	if opts.TestHooks {
		logger.Warn("test hooks enabled: /test/stats and /test/revoke-all are open to anyone; never do this in production")
	}

	srv := newServer(app.Handler())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() {
		if opts.TLSCert != "" {
			served <- srv.ServeTLS(ln, opts.TLSCert, opts.TLSKey)
			return
		}
		served <- srv.Serve(ln)
	}()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// The server's timeouts. Every request the example serves is small and
// quick: JSON bodies of at most 64 KiB (maxBodyBytes), a bcrypt hash or two
// at sign-up and sign-in (about 0.1 s), a few queries, the demo page, and
// with -static-dir a frontend's files. A client slower than these is holding
// a connection, not using it.
const (
	// readHeaderTimeout bounds reading a request's headers.
	readHeaderTimeout = 5 * time.Second
	// readTimeout bounds reading a whole request, headers and body: 64 KiB
	// in 10 s is 6.5 KB/s at the slowest. A body still arriving then is
	// cut off (the handler's read fails and the connection is closed).
	readTimeout = 10 * time.Second
	// writeTimeout bounds a request from the end of its headers to the end
	// of its response: the body, the handler (bcrypt, the database, waiting
	// for one of the pool's connections under load) and the answer.
	writeTimeout = 30 * time.Second
	// idleTimeout is how long a keep-alive connection may wait for its next
	// request.
	idleTimeout = 60 * time.Second
)

// newServer returns the HTTP server for h with the timeouts above.
func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
	}
}

// describeDB names the database for the log without its password.
func describeDB(dsn string) string {
	switch {
	case isPostgresDSN(dsn):
		return "postgres"
	case isMySQLURL(dsn):
		return "mariadb"
	}
	return "sqlite " + dsn
}

func isPostgresURL(dsn string) bool {
	lower := strings.ToLower(dsn)
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
}

// newFlagSet defines the command's flags on opts (dbFlag receives -db as
// given, empty when absent). Parse errors are returned, not printed.
func newFlagSet(opts *Options, dbFlag *string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("example", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&opts.Addr, "addr", ":8080", "listen address")
	fs.StringVar(dbFlag, "db", "", "database: an SQLite file path, a postgres:// URL or a mysql:// URL for MariaDB (default $DATABASE_URL, else "+DefaultDB+")")
	fs.DurationVar(&opts.AccessTTL, "access-ttl", time.Hour, "access-token lifetime, e.g. 5s to watch refreshes happen")
	origins := fs.String("origins", "", "comma-separated frontend origins allowed by CORS, and patterns with one wildcard label such as https://*.app.example.com; the first is the default frontend and must be an origin; a client without Origin names its tenant in X-Tenant, which stands for the first pattern's * (default none: same origin only)")
	fs.BoolVar(&opts.ExposeAccessToken, "expose-access-token", false, "also send the access token in cookie mode, so the frontend SDK's getAccessToken() returns it for calls to other services (page scripts can then read it)")
	fs.BoolVar(&opts.CookiePartitioned, "cookie-partitioned", false, "add the Partitioned attribute to the session cookies, for a frontend embedded in an iframe on another site (needs Secure cookies: an https -api-domain or -cookie-secure true)")
	fs.StringVar(&opts.APIDomain, "api-domain", "", "origin the API is reached at (default http://localhost:PORT from -addr)")
	fs.StringVar(&opts.CookieDomain, "cookie-domain", "", "share session cookies across subdomains, e.g. .example.com (default host-only)")
	fs.StringVar(&opts.OlderCookieDomain, "older-cookie-domain", "", "the cookie domain before -cookie-domain changed (\""+hostOnlyFlag+"\" if cookies were host-only): duplicates left there are cleared")
	fs.Func("anti-csrf", "anti-CSRF mode: VIA_TOKEN, VIA_CUSTOM_HEADER or NONE (default auto: VIA_CUSTOM_HEADER when a frontend is cross-site, else NONE)", func(v string) error {
		switch mode := ginsession.AntiCSRFMode(strings.ToUpper(v)); mode {
		case ginsession.AntiCSRFViaToken, ginsession.AntiCSRFViaCustomHeader, ginsession.AntiCSRFNone:
			opts.AntiCSRF = mode
			return nil
		}
		return fmt.Errorf("want VIA_TOKEN, VIA_CUSTOM_HEADER or NONE")
	})
	fs.Func("cookie-secure", "the cookies' Secure attribute: true or false (default auto: true for an https -api-domain)", func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		opts.CookieSecure = &b
		return nil
	})
	fs.Func("trusted-proxies", "comma-separated IPs or CIDRs of the reverse proxies in front of the app, e.g. 10.0.0.0/8: their X-Forwarded-For names the client IP that security events log (default none: the connection's peer)", func(v string) error {
		opts.TrustedProxies = nil
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			if net.ParseIP(p) == nil {
				if _, _, err := net.ParseCIDR(p); err != nil {
					return fmt.Errorf("%q is not an IP address or CIDR", p)
				}
			}
			opts.TrustedProxies = append(opts.TrustedProxies, p)
		}
		return nil
	})
	fs.StringVar(&opts.StaticDir, "static-dir", "", "serve the files of this directory under /static/ (a frontend built elsewhere, on the API's origin)")
	fs.StringVar(&opts.ListenDSN, "listen-dsn", "", "Postgres: where to LISTEN for revocations other instances announce, on one connection of its own; behind pgbouncer in transaction mode the server's direct DSN, or \"off\" to poll only (default: -db)")
	fs.DurationVar(&opts.KeyRotation, "key-rotation", 0, "how long each signing key signs before the next takes over, at least 1m (default 0: ginsession's 7 days)")
	fs.DurationVar(&opts.RefreshGrace, "refresh-grace", 0, "how long a rotated-away refresh token still gets the same new tokens (two tabs refreshing at once), e.g. 1s in tests that replay an old token (default 0: ginsession's 30s)")
	fs.IntVar(&opts.MaxSessionsPerUser, "max-sessions", 0, "the most sessions one user may have at once (default 0: no cap)")
	fs.Func("session-limit-policy", "what a sign-in beyond -max-sessions does: evict-oldest (sign out the oldest session) or refuse-new (answer 409 with the user's devices, one of which POST /signin/replace signs out) (default evict-oldest)", func(v string) error {
		switch v {
		case "evict-oldest":
			opts.SessionLimitPolicy = ginsession.SessionLimitEvictOldest
		case string(ginsession.SessionLimitRefuseNew):
			opts.SessionLimitPolicy = ginsession.SessionLimitRefuseNew
		default:
			return fmt.Errorf("%q: want evict-oldest or refuse-new", v)
		}
		return nil
	})
	fs.BoolVar(&opts.DeviceBoundSessions, "device-bound-sessions", false, "bind cookie sessions to a key the browser keeps (Device Bound Session Credentials, Chromium): a copy of the cookies stops refreshing within -dbsc-cookie-max-age; needs an https -api-domain (see -tls-cert)")
	fs.DurationVar(&opts.DBSCCookieMaxAge, "dbsc-cookie-max-age", 0, "with -device-bound-sessions, the bound cookie's lifetime, 10s to 1h (default 0: 2m)")
	fs.StringVar(&opts.TLSCert, "tls-cert", "", "serve HTTPS with this certificate (PEM file; needs -tls-key)")
	fs.StringVar(&opts.TLSKey, "tls-key", "", "the private key of -tls-cert (PEM file)")
	fs.BoolVar(&opts.TestHooks, "test-hooks", false, "TEST ONLY: mount GET /test/stats, POST /test/revoke-all and GET /test/invalid-claim (unauthenticated)")
	return fs, origins
}

// hostOnlyFlag is the -older-cookie-domain value for "the cookies had no
// Domain attribute".
const hostOnlyFlag = "host-only"

// parseFlags turns the command line and environment into Options.
func parseFlags(args []string, getenv func(string) string) (Options, error) {
	var opts Options
	var db string
	fs, origins := newFlagSet(&opts, &db)
	if err := fs.Parse(args); err != nil {
		return Options{}, err
	}
	if fs.NArg() > 0 {
		return Options{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}

	opts.DB = db
	if opts.DB == "" {
		opts.DB = getenv("DATABASE_URL")
	}
	if opts.DB == "" {
		opts.DB = DefaultDB
	}

	if opts.AccessTTL < time.Second {
		return Options{}, fmt.Errorf("-access-ttl %v: must be at least 1s", opts.AccessTTL)
	}
	if opts.MaxSessionsPerUser < 0 {
		return Options{}, fmt.Errorf("-max-sessions %d: must not be negative", opts.MaxSessionsPerUser)
	}
	if opts.KeyRotation != 0 && opts.KeyRotation < time.Minute {
		return Options{}, fmt.Errorf("-key-rotation %v: must be at least 1m", opts.KeyRotation)
	}
	if opts.RefreshGrace < 0 {
		return Options{}, fmt.Errorf("-refresh-grace %v: must not be negative", opts.RefreshGrace)
	}

	for _, o := range strings.Split(*origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			opts.Origins = append(opts.Origins, o)
		}
	}
	if len(opts.Origins) > 0 && strings.Contains(opts.Origins[0], "*") {
		return Options{}, fmt.Errorf("-origins %q: the first entry is the default frontend and must be an origin, not a pattern", opts.Origins[0])
	}

	if (opts.TLSCert == "") != (opts.TLSKey == "") {
		return Options{}, fmt.Errorf("-tls-cert and -tls-key go together")
	}

	if opts.OlderCookieDomain == hostOnlyFlag {
		opts.OlderCookieDomain = ginsession.HostOnly
	}
	if opts.StaticDir != "" {
		if fi, err := os.Stat(opts.StaticDir); err != nil || !fi.IsDir() {
			return Options{}, fmt.Errorf("-static-dir %q: not a directory", opts.StaticDir)
		}
	}

	if opts.APIDomain == "" {
		_, port, err := net.SplitHostPort(opts.Addr)
		if err != nil {
			return Options{}, fmt.Errorf("-addr %q: %v", opts.Addr, err)
		}
		if port == "" {
			return Options{}, fmt.Errorf("-addr %q: no port", opts.Addr)
		}
		if port != "0" { // port 0: run sets it once the listener has a port
			scheme := "http"
			if opts.TLSCert != "" {
				scheme = "https"
			}
			opts.APIDomain = scheme + "://localhost:" + port
		}
	}
	return opts, nil
}
