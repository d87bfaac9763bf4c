package dbsc

import (
	"strings"
)

// The header names of the protocol.
const (
	HeaderRegistration = "Secure-Session-Registration"
	HeaderChallenge    = "Secure-Session-Challenge"
	HeaderResponse     = "Secure-Session-Response"
	HeaderSessionID    = "Sec-Secure-Session-Id"
)

// Algorithms are the proof algorithms ginsession offers, in order of
// preference. "none" is never offered nor accepted: a proof without a
// signature proves nothing about a key.
var Algorithms = []string{"ES256", "RS256"}

// RegistrationHeader is the value of Secure-Session-Registration offering
// a session to bind: the algorithms as an inner list of tokens, and path,
// challenge and authorization as string parameters (RFC 9651). The values
// come from the server (a path, base64url challenges, a session handle), so
// they never need escaping; quoteString escapes anyway.
func RegistrationHeader(path, challenge, authorization string) string {
	var b strings.Builder
	b.WriteString("(")
	b.WriteString(strings.Join(Algorithms, " "))
	b.WriteString(");path=")
	b.WriteString(quoteString(path))
	b.WriteString(";challenge=")
	b.WriteString(quoteString(challenge))
	if authorization != "" {
		b.WriteString(";authorization=")
		b.WriteString(quoteString(authorization))
	}
	return b.String()
}

// ChallengeHeader is the value of Secure-Session-Challenge: the challenge
// as a string with the session identifier as its id parameter.
func ChallengeHeader(challenge, sessionID string) string {
	return quoteString(challenge) + ";id=" + quoteString(sessionID)
}

// quoteString serialises s as an sf-string: quotes around it, and \ before
// every " and \. Characters outside printable ASCII cannot be an sf-string;
// they are dropped (the callers never pass any).
func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			continue
		}
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

// maxHeaderLen bounds the header values ParseString reads: a proof JWT
// with an RSA key in it is under 2 KB.
const maxHeaderLen = 8 << 10

// ParseString reads the string of a Secure-Session-Response or
// Sec-Secure-Session-Id header value: an sf-string ("…", with \" and \\
// escapes), or the bare text browsers have sent before the structured form
// (a JWT or an identifier: letters, digits and - _ . ~ + / =). Parameters
// after the string (;name=value) are ignored, as the spec says. ok is false
// for anything else: empty, too long, an unterminated or badly escaped
// string, characters outside printable ASCII, or a list of several items.
func ParseString(v string) (s string, ok bool) {
	v = strings.Trim(v, " \t")
	if v == "" || len(v) > maxHeaderLen {
		return "", false
	}
	var rest string
	if v[0] == '"' {
		var b strings.Builder
		i := 1
		for ; i < len(v); i++ {
			c := v[i]
			if c == '\\' {
				i++
				if i >= len(v) || (v[i] != '"' && v[i] != '\\') {
					return "", false
				}
				b.WriteByte(v[i])
				continue
			}
			if c == '"' {
				break
			}
			if c < 0x20 || c > 0x7e {
				return "", false
			}
			b.WriteByte(c)
		}
		if i >= len(v) {
			return "", false // unterminated
		}
		s, rest = b.String(), v[i+1:]
	} else {
		end := strings.IndexByte(v, ';')
		if end < 0 {
			end = len(v)
		}
		s, rest = v[:end], v[end:]
		for i := 0; i < len(s); i++ {
			if !bareChar(s[i]) {
				return "", false
			}
		}
	}
	if s == "" {
		return "", false
	}
	if !validParams(rest) {
		return "", false
	}
	return s, true
}

// bareChar reports a character an unquoted value may hold.
func bareChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-_.~+/=", c) >= 0
}

// validParams reports whether rest is empty or parameters only
// (;key=value…, values of printable ASCII without a comma): a comma would
// make the header a list of several items, which these headers are not.
func validParams(rest string) bool {
	rest = strings.TrimRight(rest, " \t")
	if rest == "" {
		return true
	}
	if rest[0] != ';' {
		return false
	}
	inQuote := false
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c < 0x20 || c > 0x7e:
			return false
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == ',' && !inQuote:
			return false
		}
	}
	return !inQuote
}
