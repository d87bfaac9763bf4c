package main

import (
	"embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// web holds the demo page: static HTML, CSS and vanilla JS, no build step
// and nothing fetched from the network.
//
//go:embed web/index.html web/app.js web/style.css
var web embed.FS

// mountPage serves the demo page at / and its two assets.
func mountPage(r gin.IRouter) {
	serve := func(name, contentType string) gin.HandlerFunc {
		body, err := web.ReadFile("web/" + name)
		if err != nil {
			panic(err) // the files are embedded at build time
		}
		return func(c *gin.Context) {
			h := c.Writer.Header()
			h.Set("Cache-Control", "no-cache")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
			c.Data(http.StatusOK, contentType, body)
		}
	}
	r.GET("/", serve("index.html", "text/html; charset=utf-8"))
	r.GET("/app.js", serve("app.js", "text/javascript; charset=utf-8"))
	r.GET("/style.css", serve("style.css", "text/css; charset=utf-8"))
}
