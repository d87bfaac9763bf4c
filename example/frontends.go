package main

import (
	"net/http"
	"strings"
)

// tenantHeader is how the example's mobile clients, which send no Origin
// header, say which tenant they belong to.
const tenantHeader = "X-Tenant"

// tenantOrigin is the example's origin function (ginsession.Config.GetOrigin)
// for the frontends in origins (-origins): a browser's Origin header; else,
// for a mobile client, its X-Tenant header put in place of the "*" of the
// first pattern ("acme" and "https://*.app.example.com" make
// "https://acme.app.example.com"); else "" (the default frontend).
//
// Building the answer from the request's text is safe because ginsession
// uses it only when it is a configured origin or matches a pattern: a
// forged X-Tenant ("evil.test/x", "a.b") matches nothing and gets the
// default frontend. Outside a request (r == nil) it answers "" too, so the
// default frontend is the first -origins entry.
//
// Safe for cookies and for answering the request, but still the request's
// choice among the configured frontends: a link sent to a user is built on
// the user's own frontend (homeFrontend), not on this.
func tenantOrigin(origins []string) func(r *http.Request) string {
	var pattern string
	for _, o := range origins {
		if strings.Contains(o, "*") {
			pattern = o
			break
		}
	}
	return func(r *http.Request) string {
		if r == nil {
			return ""
		}
		if o := r.Header.Get("Origin"); o != "" {
			return o
		}
		if t := r.Header.Get(tenantHeader); t != "" && pattern != "" {
			return strings.Replace(pattern, "*", t, 1)
		}
		return ""
	}
}
