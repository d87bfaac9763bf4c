// Package ginsession gives a Gin app the session management of SuperTokens
// inside the app, with no auth server to run: short-lived signed access
// tokens, rotating refresh tokens with theft detection, cookie or header
// transport chosen per request, anti-CSRF, cross-subdomain cookies and
// several frontends. It speaks the wire protocol of the SuperTokens frontend
// SDKs, so an existing SuperTokens frontend works unchanged.
//
// Register mounts the session routes; Verify protects routes; GetSession
// verifies a request where a middleware does not fit; Create starts a
// session in the app's own sign-in handler; FromContext gives a handler its
// Session. Sessions and signing keys live in a store.Store; this package
// imports no database code: the app picks store/sqlitestore (one process),
// store/postgresstore or store/mysqlstore (MariaDB; several instances), or
// gormstore.New on a *gorm.DB it opened itself, store/memstore for tests,
// or any Store that passes store/storetest.
package ginsession
