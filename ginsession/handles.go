package ginsession

import "crypto/rand"

// validHandle reports whether h has the shape of a handle ginsession
// issues, so arbitrary text from a URL never reaches the database.
func validHandle(h string) bool {
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

// newHandle returns 16 random bytes (a version-4 UUID).
func newHandle() ([16]byte, error) {
	var h [16]byte
	if _, err := rand.Read(h[:]); err != nil {
		return h, err
	}
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return h, nil
}

func formatHandle(b []byte) string {
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
