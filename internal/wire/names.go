// Package wire holds what the SuperTokens frontend SDKs see of ginsession:
// the cookie and header names and the response bodies of the protocol
// (docs/protocol.md §2–§6). The engine and package routes both take these
// from here, so each wire rule is written once.
package wire

// Cookie names (docs/protocol.md §2).
const (
	AccessCookie  = "sAccessToken"
	RefreshCookie = "sRefreshToken"
	// LegacyIDRefreshCookie is what SDKs before the current protocol kept
	// beside the session cookies (Path /). Its value is never read; beside
	// a session token it sends the frontend to refresh, and it is cleared
	// whenever session tokens are written or cleared.
	LegacyIDRefreshCookie = "sIdRefreshToken"
)

// Header names (docs/protocol.md §3).
const (
	HeaderFrontToken    = "front-token"
	HeaderAccessToken   = "st-access-token"
	HeaderRefreshToken  = "st-refresh-token"
	HeaderAntiCSRF      = "anti-csrf"
	HeaderAuthorization = "Authorization"
	HeaderAuthMode      = "st-auth-mode"
	HeaderRID           = "rid"
	HeaderExpose        = "Access-Control-Expose-Headers"
)

// ExposedHeaders are the response headers a cross-origin frontend must be
// allowed to read.
func ExposedHeaders() []string {
	return []string{HeaderFrontToken, HeaderAntiCSRF, HeaderAccessToken, HeaderRefreshToken}
}

// AllowedHeaders are the request headers the frontend SDK sends, plus
// content-type for the app's own JSON.
func AllowedHeaders() []string {
	return []string{HeaderRID, "fdi-version", HeaderAntiCSRF, "authorization", HeaderAuthMode, "content-type"}
}
