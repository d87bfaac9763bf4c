package ginsession

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// Bounds of the session metadata, in bytes (the store contract's).
const (
	maxUserAgentLen   = 512
	maxIPLen          = 64
	maxDeviceLabelLen = 255
)

// CreateOption changes one Create.
type CreateOption func(*createOptions)

type createOptions struct {
	deviceLabel string
	sessionOnly bool
}

// WithDeviceLabel names the device in the user's list of sessions
// ("Alice's laptop", "iPhone app"): at most 255 bytes of UTF-8 without
// control characters (C0, C1, DEL) or invisible format characters (bidi
// overrides, zero-width characters, line separators), else Create returns
// ErrInvalidInput: those could make one label pass for another in a
// device list.
func WithDeviceLabel(label string) CreateOption {
	return func(o *createOptions) { o.deviceLabel = label }
}

// BrowserSessionOnly is "remember me" turned off: in cookie mode the session
// cookies get no Expires, so the browser drops them when it ends its
// session (usually when it closes; browsers that restore sessions may keep
// them). The choice is kept with the session, so refreshes write the same
// kind of cookies. Header mode is unaffected: the frontend SDK keeps those
// tokens itself. On the server the session lives
// Config.BrowserSessionIdleTimeout (default 24 hours) past its last
// refresh instead of RefreshTokenTTL: a closed browser's session ends
// soon, and stops counting towards Config.MaxSessionsPerUser.
func BrowserSessionOnly() CreateOption {
	return func(o *createOptions) { o.sessionOnly = true }
}

func resolveCreateOptions(opts []CreateOption) (createOptions, error) {
	var o createOptions
	for _, opt := range opts {
		opt(&o)
	}
	if l := o.deviceLabel; len(l) > maxDeviceLabelLen || !utf8.ValidString(l) || strings.ContainsFunc(l, unsafeInText) {
		return o, fmt.Errorf("%w: device label must be at most %d bytes of UTF-8 without control or format characters", ErrInvalidInput, maxDeviceLabelLen)
	}
	return o, nil
}

// isControl reports the characters of Unicode category Cc: C0, DEL and
// C1 (U+0080-U+009F, where U+009B is a terminal's CSI).
func isControl(r rune) bool { return unicode.Is(unicode.Cc, r) }

// isInvisibleFormat reports characters that change how the text around
// them is shown, or show as nothing, without being seen: category Cf (bidi
// overrides and isolates such as U+202E, zero-width characters, the BOM,
// soft hyphens, tag characters), the other default-ignorable code points
// (Hangul fillers such as U+3164, which render blank; U+034F; reserved
// ones such as U+2065), variation selectors, and the line and paragraph
// separators U+2028/U+2029. A User-Agent of "Chrome\u202Eexe.rebiF" would
// read as another device, a label "Alice's laptop\u3164" as Alice's.
func isInvisibleFormat(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		unicode.Is(unicode.Variation_Selector, r) || r == '\u2028' || r == '\u2029'
}

// unsafeInText reports a character stored text must not hold.
func unsafeInText(r rune) bool { return isControl(r) || isInvisibleFormat(r) }

// clientMetadata is what a request says about the device: its User-Agent
// and (unless Config.OmitClientIP) its client IP, made storable: valid
// UTF-8 without control or invisible format characters, cut to the
// store's bounds. A header is
// the client's text, so anything else is replaced, never refused: a refresh
// must not fail over a strange User-Agent.
func clientMetadata(c *gin.Context, omitIP bool) (userAgent, ip string) {
	userAgent = storableText(c.Request.UserAgent(), maxUserAgentLen)
	if !omitIP {
		ip = storableText(c.ClientIP(), maxIPLen)
	}
	return userAgent, ip
}

// storableText returns s as valid UTF-8 with control characters turned
// into spaces (so words stay apart) and invisible format characters
// dropped, cut at a character boundary to at most limit bytes.
func storableText(s string, limit int) string {
	if len(s) > limit {
		s = s[:limit] // before the work below: a header may be megabytes
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case isControl(r):
			return ' '
		case isInvisibleFormat(r):
			return -1 // dropped
		}
		return r
	}, s)
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// ListSessions returns the caller's user's live sessions, oldest first,
// with the caller's own marked Current: the "where am I signed in" list.
func (s *Session) ListSessions(ctx context.Context) ([]SessionInfo, error) {
	list, err := s.e.ListSessions(ctx, s.id.UserID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Current = list[i].Handle == s.id.Handle
	}
	return list, nil
}

// RevokeOtherSessions revokes every other session of the caller's user
// ("sign out my other devices") and returns their handles. The caller's
// session stays. Their refresh tokens stop working at once and their access
// tokens within RevocationPollInterval on every instance. A session created
// while it runs (a sign-in on another device at the same moment) may be
// left; call it again to be sure.
func (s *Session) RevokeOtherSessions(ctx context.Context) ([]string, error) {
	ctx = stdCtx(ctx)
	rows, err := s.e.st.ListUserSessions(ctx, s.id.UserID, s.e.cfg.now())
	if err != nil {
		return nil, storageErr("listing sessions", err)
	}
	var revoked []string
	now := s.e.cfg.now()
	for _, row := range rows {
		if row.Handle == s.id.Handle {
			continue
		}
		ok, err := s.e.st.DeleteSession(ctx, row.Handle)
		if err != nil {
			return revoked, storageErr("revoking a session", err)
		}
		// A session past its end was over already (and not listed): it
		// goes, but it was not a device to sign out.
		if ok && !s.e.life.PastMaxAge(row.CreatedAt, now) {
			s.e.revoked(revokedByApp, row.Handle, row.UserID)
			revoked = append(revoked, row.Handle)
		}
	}
	return revoked, nil
}
