package jose

// MaxTokenLen caps tokens before any parsing: a legitimate access token is
// well under this even with a generous payload.
const MaxTokenLen = 16 << 10

// WellFormed checks the shape of a compact JWS before any decoding: three
// non-empty base64url segments, at most MaxTokenLen bytes in all.
func WellFormed(tok string) bool {
	if len(tok) == 0 || len(tok) > MaxTokenLen {
		return false
	}
	dots := 0
	segLen := 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c == '.':
			if segLen == 0 {
				return false
			}
			dots++
			segLen = 0
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			segLen++
		default:
			return false
		}
	}
	return dots == 2 && segLen > 0
}

// Unsigned reports a compact JWS with an empty signature (an unsecured
// "alg":"none" token): well formed but for the missing last segment.
func Unsigned(tok string) bool {
	return len(tok) > 1 && len(tok) < MaxTokenLen && tok[len(tok)-1] == '.' && WellFormed(tok+"A")
}

// Shaped accepts a compact JWS, or one with an empty signature (which
// verification refuses as unsigned, "try refresh"): what a request's token
// candidates must look like to be considered at all.
func Shaped(tok string) bool {
	return WellFormed(tok) || Unsigned(tok)
}
