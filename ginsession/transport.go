package ginsession

import (
	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/transport"
)

// out is the writer of c's response: the session cookies with this
// engine's attributes and the SameSite of the request's frontend
// (internal/transport writes them).
func (e *Sessions) out(c *gin.Context) transport.Response {
	return e.cookies.Response(c.Request, c.Writer.Header(), e.frontendOf(c).SameSite)
}

// cookieSettings resolves the engine's cookie settings for the transport:
// the HostOnly sentinel becomes a cookie without a Domain attribute.
func cookieSettings(s *settings, strays []string) *transport.Cookies {
	domain := func(d string) string {
		if d == HostOnly {
			return ""
		}
		return d
	}
	c := &transport.Cookies{
		Domain: s.cookieDomain, OlderDomain: domain(s.olderDomain), HasOlder: s.hasOlder,
		RefreshPath: s.refreshPath, Secure: s.secure, Partitioned: s.partitioned,
		ExposeAccess: s.exposeAccess, Now: s.now,
	}
	for _, d := range strays {
		c.Strays = append(c.Strays, domain(d))
	}
	return c
}
