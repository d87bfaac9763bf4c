package interop

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// oidcHeader returns the kid of a compact JWS (read, not verified: the
// tests compare which key signed two tokens).
func oidcHeader(tok string) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", errors.New("not a compact JWS")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return "", err
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return "", err
	}
	return h.Kid, nil
}
