package ginsession

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/internal/wire"
)

// AntiCSRFMode selects how cookie-authenticated, state-changing requests
// prove they come from the frontend (docs/protocol.md §4).
type AntiCSRFMode string

const (
	// AntiCSRFAuto (the zero value): VIA_CUSTOM_HEADER when any configured
	// frontend gets SameSite none cookies, otherwise NONE.
	AntiCSRFAuto AntiCSRFMode = ""
	// AntiCSRFViaToken requires the anti-csrf request header to equal the
	// token the backend issued with the session.
	AntiCSRFViaToken AntiCSRFMode = "VIA_TOKEN"
	// AntiCSRFViaCustomHeader requires a rid header (any value); browsers
	// cannot send it cross-site without a CORS preflight.
	AntiCSRFViaCustomHeader AntiCSRFMode = "VIA_CUSTOM_HEADER"
	// AntiCSRFNone performs no check. Safe only with SameSite lax or strict.
	AntiCSRFNone AntiCSRFMode = "NONE"
)

// TransferMethod is how tokens travel: cookies or headers.
type TransferMethod string

const (
	// TransferAny accepts either method (verify and refresh).
	TransferAny TransferMethod = "any"
	// TransferCookie uses the sAccessToken/sRefreshToken cookies.
	TransferCookie TransferMethod = "cookie"
	// TransferHeader uses Authorization and the st-access-token /
	// st-refresh-token response headers.
	TransferHeader TransferMethod = "header"
)

// HostOnly is the OlderCookieDomain value meaning "the old cookies were set
// without a Domain attribute" (the default before CookieDomain was set).
const HostOnly = "<host-only>"

func defaultTransferMethod(c *gin.Context, forCreate bool) TransferMethod {
	if !forCreate {
		return TransferAny
	}
	// In any case, as the SuperTokens backends read it ("Cookie" too).
	if strings.EqualFold(c.GetHeader(wire.HeaderAuthMode), "cookie") {
		return TransferCookie
	}
	return TransferHeader
}
