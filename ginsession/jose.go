package ginsession

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
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

var (
	errJOSECrit      = errors.New("access token header has crit: no JWS extension is understood")
	errJOSEDuplicate = errors.New("access token has a duplicate JSON member name")
	errJOSETrailing  = errors.New("access token header or payload is not exactly one JSON object")
)

// joseSmallObject is how many member names of one object are checked for
// duplicates by a linear scan; beyond it the object's names go in a map.
const joseSmallObject = 16

// strictSegments checks the header and payload of a compact JWS that
// golang-jwt has parsed and verified (so three segments of canonical
// base64url): each must be exactly one JSON object without duplicate
// member names at any depth.
func strictSegments(tok string) error {
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

// quickObject is the fast path of joseWalker.object for what ginsession
// mints:
// a byte scan without allocation. It is sure of its answer only for texts
// whose member names are plain ASCII without escapes (so raw bytes compare
// as decoded names do), with at most joseQuickNames names per object and
// at most joseQuickDepth levels; otherwise it says it is not sure and the
// token walk decides. It relies on what golang-jwt already checked: the
// text up to the end of its first value is valid JSON.
func quickObject(data []byte) (sure bool, err error) {
	if len(data) == 0 || data[0] != '{' {
		return true, errJOSETrailing
	}
	end, sure, err := quickValue(data, 0, 0)
	if !sure || err != nil {
		return sure, err
	}
	if end != len(data) {
		return true, errJOSETrailing
	}
	return true, nil
}

const (
	joseQuickNames = 16
	joseQuickDepth = 32
)

// quickValue scans the value at data[i:] and returns where it ends.
func quickValue(data []byte, i, depth int) (end int, sure bool, err error) {
	if i >= len(data) {
		return 0, false, nil
	}
	switch data[i] {
	case '{', '[':
		if depth >= joseQuickDepth {
			return 0, false, nil
		}
		return quickContainer(data, i, depth+1)
	case '"':
		end, _, ok := quickString(data, i)
		return end, ok, nil
	}
	// A number, true, false or null.
	j := i
	for j < len(data) && (data[j] >= '0' && data[j] <= '9' || data[j] >= 'a' && data[j] <= 'z' || data[j] == '-' || data[j] == '+' || data[j] == '.' || data[j] == 'E') {
		j++
	}
	return j, j > i, nil
}

// quickContainer scans the object or array opening at data[i].
func quickContainer(data []byte, i, depth int) (end int, sure bool, err error) {
	object := data[i] == '{'
	closer := byte(']')
	if object {
		closer = '}'
	}
	var names [joseQuickNames][2]int // this object's names: offsets in data
	n := 0
	i = quickSpace(data, i+1)
	if i < len(data) && data[i] == closer {
		return i + 1, true, nil
	}
	for {
		if object {
			if i >= len(data) || data[i] != '"' {
				return 0, false, nil
			}
			e, plain, ok := quickString(data, i)
			if !ok || !plain || n == len(names) {
				return 0, false, nil
			}
			name := data[i+1 : e-1]
			for _, o := range names[:n] {
				if string(data[o[0]:o[1]]) == string(name) {
					return 0, true, errJOSEDuplicate
				}
			}
			names[n] = [2]int{i + 1, e - 1}
			n++
			i = quickSpace(data, e)
			if i >= len(data) || data[i] != ':' {
				return 0, false, nil
			}
			i = quickSpace(data, i+1)
		}
		e, sure, err := quickValue(data, i, depth)
		if !sure || err != nil {
			return 0, sure, err
		}
		i = quickSpace(data, e)
		if i >= len(data) {
			return 0, false, nil
		}
		switch data[i] {
		case ',':
			i = quickSpace(data, i+1)
		case closer:
			return i + 1, true, nil
		default:
			return 0, false, nil
		}
	}
}

// quickString scans the string opening at data[i]; plain reports that it
// holds neither an escape nor a byte outside ASCII.
func quickString(data []byte, i int) (end int, plain, ok bool) {
	plain = true
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			return j + 1, plain, true
		case c == '\\':
			plain = false
			j++ // the escaped character (a \uXXXX's digits need no care)
		case c < 0x20:
			return 0, false, false
		case c >= 0x80:
			plain = false
		}
	}
	return 0, false, false
}

func quickSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// joseFrame is one open object or array of a joseWalker.
type joseFrame struct {
	object bool
	start  int                 // where this object's names begin in joseWalker.names
	set    map[string]struct{} // this object's names, once it has many
}

// joseWalker walks JSON texts token by token; its buffers are reused
// between texts.
type joseWalker struct {
	rd    bytes.Reader
	stack []joseFrame
	names []string
}

// object checks that data is exactly one JSON object (nothing before or
// after it, not even white space) in which no object, at any depth, has two
// members of the same name (compared after unescaping, as encoding/json
// compares them).
func (w *joseWalker) object(data []byte) error {
	if len(data) == 0 || data[0] != '{' {
		return errJOSETrailing
	}
	w.stack, w.names = w.stack[:0], w.names[:0]
	w.rd.Reset(data)
	dec := json.NewDecoder(&w.rd)
	dec.UseNumber() // numbers stay text: no float parsing, no range errors
	wantName := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				w.stack = append(w.stack, joseFrame{object: v == '{', start: len(w.names)})
				wantName = v == '{'
				continue
			default: // '}' or ']'
				top := w.stack[len(w.stack)-1]
				w.names = w.names[:top.start]
				w.stack = w.stack[:len(w.stack)-1]
				if len(w.stack) == 0 {
					if dec.InputOffset() != int64(len(data)) {
						return errJOSETrailing
					}
					return nil
				}
				wantName = w.stack[len(w.stack)-1].object
				continue
			}
		case string:
			if wantName {
				if err := w.name(v); err != nil {
					return err
				}
				wantName = false
				continue
			}
		}
		// A scalar value: in an object, a name comes next.
		wantName = w.stack[len(w.stack)-1].object
	}
}

// name records a member name of the innermost object, refusing a repeat.
func (w *joseWalker) name(k string) error {
	top := &w.stack[len(w.stack)-1]
	if top.set != nil {
		if _, dup := top.set[k]; dup {
			return errJOSEDuplicate
		}
		top.set[k] = struct{}{}
		return nil
	}
	for _, s := range w.names[top.start:] {
		if s == k {
			return errJOSEDuplicate
		}
	}
	w.names = append(w.names, k)
	if len(w.names)-top.start > joseSmallObject {
		top.set = make(map[string]struct{}, 2*joseSmallObject)
		for _, s := range w.names[top.start:] {
			top.set[s] = struct{}{}
		}
		w.names = w.names[:top.start]
	}
	return nil
}

// checkIssuedAt refuses an iat that is not a sane NumericDate: not a
// finite number, negative, or after exp. golang-jwt converts iat to a time
// through an int64 conversion whose result for 1e300 or 1e400 (+Inf: it
// ignores the range error) depends on the platform, often the far past,
// which the "issued in the future" check lets through.
func checkIssuedAt(iat, exp any) error {
	i, ok := numericDate(iat)
	if !ok {
		return errors.New("iat is not a finite number")
	}
	if i < 0 {
		return errors.New("iat is negative")
	}
	e, ok := numericDate(exp)
	if !ok {
		return errors.New("exp is not a finite number")
	}
	if i > e {
		return errors.New("iat is after exp")
	}
	return nil
}

// numericDate reads a claim decoded with UseNumber as a finite float64.
func numericDate(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil {
			return 0, false
		}
	case float64:
		f = x
	default:
		return 0, false
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}
