// Package sessionhandle makes and checks session handles: the public name of a
// session (a version-4 UUID in its usual text form), which the access
// token, the refresh token, the store and the app's admin calls all carry.
package sessionhandle

import "crypto/rand"

// Valid reports whether h has the shape of a handle ginsession issues, so
// arbitrary text from a URL or a token never reaches the database.
func Valid(h string) bool {
	if len(h) != 36 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// New returns 16 random bytes marked as a version-4 UUID.
func New() ([16]byte, error) {
	var h [16]byte
	if _, err := rand.Read(h[:]); err != nil {
		return h, err
	}
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return h, nil
}

// Format writes 16 bytes in the handle's text form (lower-case hex in
// 8-4-4-4-12 groups); b must hold at least 16 bytes.
func Format(b []byte) string {
	const hexdig = "0123456789abcdef"
	out := make([]byte, 36)
	j := 0
	for i := 0; i < 16; i++ {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j] = hexdig[b[i]>>4]
		out[j+1] = hexdig[b[i]&0x0f]
		j += 2
	}
	return string(out)
}

// Bytes returns the 16 bytes of a valid handle (ok false for any other
// text): the inverse of Format.
func Bytes(h string) (b [16]byte, ok bool) {
	if !Valid(h) {
		return b, false
	}
	j := 0
	for i := 0; i < len(h); i += 2 {
		if h[i] == '-' {
			i--
			continue
		}
		b[j] = unhex(h[i])<<4 | unhex(h[i+1])
		j++
	}
	return b, true
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'a' + 10
}
