package jose

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// HeaderKid reads the kid of a JWS header without verifying anything.
func HeaderKid(tok string) string {
	head, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h struct {
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(raw, &h)
	return h.Kid
}

// Payload decodes the payload segment of a compact JWS without verifying
// anything; ok is false when it is not canonical base64url.
func Payload(tok string) (raw []byte, ok bool) {
	_, rest, _ := strings.Cut(tok, ".")
	payload, _, _ := strings.Cut(rest, ".")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	return raw, err == nil
}
