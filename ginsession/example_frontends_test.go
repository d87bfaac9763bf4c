package ginsession_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// Several frontends on one API: the web app, every tenant's subdomain
// through a pattern, and mobile apps, which send no Origin header and say
// which tenant they are in a header of their own. GetOrigin may build its
// answer from that header: ginsession uses the answer only when it is a
// configured origin or matches a pattern, so a forged header gets the
// default frontend, never a cookie decision of its own.
func ExampleConfig_getOrigin() {
	st, done := exampleStore()
	defer done()

	router := gin.New()
	sessions, err := ginsession.New(ginsession.Config{
		Store:         st,
		APIDomain:     "https://api.example.com",
		WebsiteDomain: "https://www.example.com",
		Origins:       []string{"https://*.tenants.example.com"},
		GetOrigin: func(r *http.Request) string {
			if r == nil {
				return "" // outside a request: WebsiteDomain
			}
			if origin := r.Header.Get("Origin"); origin != "" {
				return origin // a browser
			}
			if tenant := r.Header.Get("X-Tenant"); tenant != "" {
				return "https://" + tenant + ".tenants.example.com" // a mobile app
			}
			return ""
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	router.Use(sessions.CORS())
	sessions.Mount(router)
	// A handler answering the request itself (a redirect after sign-in)
	// points it at the frontend the request came from. A link sent to a
	// user (a password reset e-mail) points at the user's own frontend as
	// the app stored it instead, whoever asks: see Sessions.FrontendOrigin.
	router.GET("/signed-in", func(c *gin.Context) {
		c.Redirect(http.StatusSeeOther, sessions.FrontendOrigin(c)+"/home")
	})

	for _, hdr := range []http.Header{
		{"Origin": {"https://acme.tenants.example.com"}}, // the tenant's web page
		{"X-Tenant": {"globex"}},                         // globex's mobile app
		{"X-Tenant": {"evil.test/x?"}},                   // forged: not a configured frontend
		{"Origin": {"https://evil.test"}},                // not configured either
	} {
		req := httptest.NewRequest("GET", "/signed-in", nil)
		req.Header = hdr
		w := httptest.NewRecorder()
		router.ServeHTTP(w, req)
		fmt.Println(w.Code, w.Header().Get("Location"))
	}
	// Output:
	// 303 https://acme.tenants.example.com/home
	// 303 https://globex.tenants.example.com/home
	// 303 https://www.example.com/home
	// 403
}
