package routes

import (
	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/wire"
)

// signOut serves POST {base}/signout: it needs a valid access token (an
// expired one gets "try refresh token", so the frontend refreshes and
// retries), revokes the session and clears the tokens.
func signOut(e Engine) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := e.SignOut(c); err != nil {
			e.HandleError(c, err)
			return
		}
		wire.SignedOut(c)
	}
}
