// Package transport moves session tokens between HTTP and the engine: it
// finds the tokens a request carries (cookies or the Authorization header,
// with the duplicate-cookie rules of docs/protocol.md §3 and §4), and
// writes what a response issues or clears (the session cookies with their
// attributes, the token headers, front-token, and the expiry of stray
// copies wherever a sibling subdomain or an older configuration may have
// left them).
//
// It decides nothing about sessions: which found token counts and what to
// clear are the protocol core's answers (internal/protocol) and the
// engine's; this package only reads and writes them.
package transport
