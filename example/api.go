package main

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// note is a row of the notes table.
type note struct {
	ID        string    `gorm:"column:id;primaryKey;size:36" json:"id"`
	UserID    string    `gorm:"column:user_id;size:36;not null;index" json:"-"`
	Text      string    `gorm:"column:text;not null" json:"text"`
	CreatedAt time.Time `gorm:"column:created_at;not null" json:"createdAt"`
}

func (note) TableName() string { return "notes" }

// Note limits.
const (
	maxNoteRunes = 1000
	maxNotes     = 100 // GET /api/notes returns at most this many, newest first
)

// me handles GET /api/me: the caller, and the frontend this request is for
// (FrontendOrigin: what an answer to this request, such as a redirect after
// sign-in, may point at). Links sent to the user (a password reset e-mail)
// point at the user's own frontend instead, the payload's homeFrontend
// (homeFrontend), whatever frontend a request names.
func (a *App) me(c *gin.Context) {
	s := ginsession.FromContext(c)
	c.JSON(http.StatusOK, gin.H{"userId": s.UserID(), "sessionHandle": s.Handle(), "payload": s.Payload(),
		"frontend": a.sessions.FrontendOrigin(c)})
}

// listNotes handles GET /api/notes: the caller's notes, newest first.
func (a *App) listNotes(c *gin.Context) {
	s := ginsession.FromContext(c)
	notes := []note{}
	err := a.db.WithContext(c.Request.Context()).Where("user_id = ?", s.UserID()).
		Order("created_at DESC, id DESC").Limit(maxNotes).Find(&notes).Error
	if err != nil {
		a.dbError(c, "listing notes", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"notes": notes})
}

// addNote handles POST /api/notes {"text"}.
func (a *App) addNote(c *gin.Context) {
	s := ginsession.FromContext(c)
	var in struct {
		Text string `json:"text"`
	}
	if err := readJSON(c, &in); err != nil {
		refuseBody(c, err)
		return
	}
	text := strings.TrimSpace(in.Text)
	switch {
	case text == "":
		message(c, http.StatusBadRequest, "text is required")
		return
	case !utf8.ValidString(text) || strings.IndexByte(text, 0) >= 0:
		message(c, http.StatusBadRequest, "text must be valid UTF-8 without NUL")
		return
	case utf8.RuneCountInString(text) > maxNoteRunes:
		message(c, http.StatusBadRequest, "text is longer than 1000 characters")
		return
	}
	n := note{ID: randomID(), UserID: s.UserID(), Text: text, CreatedAt: time.Now().UTC()}
	if err := a.db.WithContext(c.Request.Context()).Create(&n).Error; err != nil {
		a.dbError(c, "creating a note", err)
		return
	}
	c.JSON(http.StatusCreated, n)
}

// sessionView is one entry of GET /api/sessions (and of a 409 from
// /signin): one of the user's devices, as ginsession records it.
type sessionView struct {
	Handle       string `json:"handle"`
	Current      bool   `json:"current"`      // the device making the request
	CreatedAt    string `json:"createdAt"`    // RFC 3339, UTC
	LastActiveAt string `json:"lastActiveAt"` // the latest refresh (RFC 3339, UTC)
	ExpiresAt    string `json:"expiresAt"`    // when it ends unless refreshed
	UserAgent    string `json:"userAgent"`    // at the latest refresh (at sign-in before the first)
	IP           string `json:"ip"`
	Remembered   bool   `json:"remembered"` // false: ends with the browser session
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// listSessions handles GET /api/sessions: the caller's live sessions,
// oldest first, the one making the request marked current.
func (a *App) listSessions(c *gin.Context) {
	infos, err := ginsession.FromContext(c).ListSessions(c.Request.Context())
	if err != nil {
		a.sessions.HandleError(c, err)
		return
	}
	out := make([]sessionView, 0, len(infos))
	for _, in := range infos {
		out = append(out, viewOf(in))
	}
	c.JSON(http.StatusOK, gin.H{"sessions": out})
}

func viewOf(in ginsession.SessionInfo) sessionView {
	return sessionView{
		Handle:       in.Handle,
		Current:      in.Current,
		CreatedAt:    rfc3339(in.CreatedAt),
		LastActiveAt: rfc3339(in.LastActiveAt),
		ExpiresAt:    rfc3339(in.ExpiresAt),
		UserAgent:    in.LastUserAgent,
		IP:           in.LastIP,
		Remembered:   !in.BrowserSessionOnly,
	}
}

// revokeOthers handles POST /api/sessions/revoke-others: "sign out my other
// devices". It answers how many were signed out; this device stays.
func (a *App) revokeOthers(c *gin.Context) {
	handles, err := ginsession.FromContext(c).RevokeOtherSessions(c.Request.Context())
	if err != nil {
		a.sessions.HandleError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "OK", "revoked": len(handles)})
}

// revokeSession handles DELETE /api/sessions/:handle. Only the caller's own
// sessions can be revoked; any other handle is "not found", whether or not it
// exists, so handles of other users cannot be probed. Revoking the current
// session signs this device out (its tokens are cleared on the response).
func (a *App) revokeSession(c *gin.Context) {
	s := ginsession.FromContext(c)
	handle := c.Param("handle")
	ctx := c.Request.Context()
	// Handles are UUIDs; refuse anything a database could choke on before
	// asking it (Postgres rejects NUL and invalid UTF-8 in text).
	if handle == "" || len(handle) > 64 || !utf8.ValidString(handle) || strings.IndexByte(handle, 0) >= 0 {
		message(c, http.StatusNotFound, "session not found")
		return
	}
	info, err := a.sessions.GetSessionInfo(ctx, handle)
	switch {
	case errors.Is(err, ginsession.ErrSessionNotFound):
		// Not HandleError: it would answer 401, which the frontend reads as
		// "my own session expired".
		message(c, http.StatusNotFound, "session not found")
		return
	case err != nil:
		a.sessions.HandleError(c, err)
		return
	case info.UserID != s.UserID():
		message(c, http.StatusNotFound, "session not found")
		return
	}
	if handle == s.Handle() {
		if err := s.Revoke(ctx); err != nil {
			a.sessions.HandleError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "OK", "signedOut": true})
		return
	}
	if _, err := a.sessions.RevokeSession(ctx, handle); err != nil {
		a.sessions.HandleError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "OK", "signedOut": false})
}
