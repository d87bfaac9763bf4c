package routes

import (
	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/protocol"
	"github.com/ginsession/ginsession/internal/wire"
)

// refresh serves POST {base}/session/refresh (docs/protocol.md §7).
func refresh(e Engine) gin.HandlerFunc {
	return func(c *gin.Context) {
		rot, err := refreshTokens(e, c)
		e.Refreshed(rot, err)
		if err != nil {
			e.HandleError(c, err)
			return
		}
		wire.Refreshed(c)
	}
}

// refreshTokens is the whole refresh: read the presented tokens, let the
// protocol core decide, write its answer. The clears it asks for are
// written whatever the outcome; on success the new tokens follow them.
func refreshTokens(e Engine, c *gin.Context) (*protocol.Rotation, error) {
	in, method := e.ReadRefresh(c)
	if b := e.Binding(); b != nil {
		// A bound session refreshes only with its bound cookie: checked
		// before the protocol decides, so a copy of the cookies replayed
		// elsewhere rotates nothing (and the browser's own next refresh
		// still works).
		if err := b.CheckRefresh(c, in, method); err != nil {
			return nil, err
		}
	}
	decided := e.Protocol().Refresh(c.Request.Context(), in)
	for _, t := range decided.Thefts {
		e.AnnounceTheft(t, c.ClientIP())
	}
	out := e.Response(c)
	if decided.ClearLegacy {
		out.ClearLegacy()
	}
	if decided.ClearStrays {
		// Duplicates came: their copies go before the new tokens are written.
		out.ClearSessionStrays()
	}
	if decided.Err != nil {
		return nil, e.RefreshError(decided.Err, method)
	}
	if decided.ClearCookiesBeside {
		out.ClearOwnCookies()
	}
	issued, err := e.Reissue(c.Request.Context(), decided.Rotation, method)
	if err != nil {
		return nil, err
	}
	if err := out.Issue(method, issued); err != nil {
		return nil, err
	}
	return decided.Rotation, nil
}
