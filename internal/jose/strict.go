// Package jose holds the checks ginsession applies to the text of compact
// JWS tokens beyond what golang-jwt checks: the shape of a token before any
// decoding, exactly one JSON object per segment without duplicate member
// names, a sane iat, and unverified peeks at the header. It knows no keys
// and no claim names of the session protocol: internal/accesstoken does.
package jose

import (
	"encoding/base64"
	"errors"
	"strings"
)

// JOSE strictness beyond what golang-jwt checks. golang-jwt decodes the
// header with json.Unmarshal and, with WithJSONNumber, the payload with a
// json.Decoder: both keep the last of duplicate member names silently, the
// decoder ignores anything after the payload object, and Unmarshal allows
// white space after the header. Two readers of such a token (ginsession and
// a proxy, a log parser, the frontend's front-token) could see two
// different tokens; ginsession issues none of these forms, so a token
// carrying one is refused as "a token, but not valid".

// The errors of a token that is "a token, but not valid" for one of these
// reasons.
var (
	ErrCrit      = errors.New("access token header has crit: no JWS extension is understood")
	ErrDuplicate = errors.New("access token has a duplicate JSON member name")
	ErrTrailing  = errors.New("access token header or payload is not exactly one JSON object")
)

// joseSmallObject is how many member names of one object are checked for
// duplicates by a linear scan; beyond it the object's names go in a map.
const joseSmallObject = 16

// StrictSegments checks the header and payload of a compact JWS that
// golang-jwt has parsed and verified (so three segments of canonical
// base64url): each must be exactly one JSON object without duplicate
// member names at any depth.
func StrictSegments(tok string) error {
	h, rest, _ := strings.Cut(tok, ".")
	p, _, _ := strings.Cut(rest, ".")
	enc := base64.RawURLEncoding.Strict()
	hn, pn := enc.DecodedLen(len(h)), enc.DecodedLen(len(p))
	// One allocation: the two segments' text, then their decoded bytes.
	buf := make([]byte, len(h)+len(p)+hn+pn)
	copy(buf, h)
	copy(buf[len(h):], p)
	out := buf[len(h)+len(p):]
	n, err := enc.Decode(out[:hn], buf[:len(h)])
	if err != nil {
		return err
	}
	hdr := out[:n]
	n, err = enc.Decode(out[hn:], buf[len(h):len(h)+len(p)])
	if err != nil {
		return err
	}
	payload := out[hn : hn+n]
	for _, text := range [2][]byte{hdr, payload} {
		sure, err := quickObject(text)
		if !sure {
			w := joseWalker{stack: make([]joseFrame, 0, 8), names: make([]string, 0, 16)}
			err = w.object(text)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
