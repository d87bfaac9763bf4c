// Package ginsession gives a Gin app the session management of SuperTokens
// inside the app, with no auth server to run: short-lived signed access
// tokens, rotating refresh tokens with theft detection, cookie or header
// transport chosen per request, anti-CSRF, cross-subdomain cookies and
// several frontends. It speaks the wire protocol of the SuperTokens frontend
// SDKs, so an existing SuperTokens frontend works unchanged.
//
// Register mounts the session routes; Verify protects routes; Create starts
// a session in the app's own sign-in handler; FromContext gives a handler
// its Session. Sessions and signing keys live in a store.Store (SQLite or
// Postgres through GORM).
package ginsession
