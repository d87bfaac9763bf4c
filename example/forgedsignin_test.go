package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ginsession/ginsession/ginsession"
)

// Another site auto-submits <form method=POST enctype=text/plain> to the
// example's routes while the victim's cookies are SameSite=None (here
// Partitioned, as for an embedded frontend), or, under VIA_TOKEN, a
// sibling subdomain does: the browser attaches the cookies, and the form
// can send no custom header. No route may clear or replace them.
func TestForgedFormsLeaveTheSessionAlone(t *testing.T) {
	secure := true
	setups := map[string]Options{
		"Partitioned": {CookiePartitioned: true, CookieSecure: &secure},
		"VIA_TOKEN":   {AntiCSRF: ginsession.AntiCSRFViaToken},
	}
	for name, opts := range setups {
		t.Run(name, func(t *testing.T) {
			_, base := startApp(t, opts)
			victim := newClient(t, base, "cookie")
			wantStatus(t, "victim sign-up", victim.signUp("victim@example.com", "correct horse"), 200)
			signIn := victim.signIn("victim@example.com", "correct horse")
			wantStatus(t, "victim sign-in", signIn, 200)
			cks := setCookies(signIn.header)
			access, refresh := cks["sAccessToken"], cks["sRefreshToken"]
			if access == nil || refresh == nil {
				t.Fatalf("sign-in set no session cookies: %v", signIn.header)
			}
			cookies := "sAccessToken=" + access.Value + "; sRefreshToken=" + refresh.Value
			forms := map[string]string{
				"/signup": `{"email":"mallory@evil.test","password":"correct horse","x":"=y"}`,
				"/signin": `{"email":"victim@example.com","password":"wrong guess","x":"=y"}`,
				"/cart":   `{"item":"bomb","x":"=y"}`,
			}
			for path, body := range forms {
				req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
				req.Header.Set("Content-Type", "text/plain")
				req.Header.Set("Origin", "https://evil.test")
				req.Header.Set("Cookie", cookies)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				for _, ck := range res.Cookies() {
					if ck.Name == "sAccessToken" || ck.Name == "sRefreshToken" {
						t.Errorf("forged POST %s (%d) touched the victim's cookies: %s", path, res.StatusCode, ck.Raw)
					}
				}
			}
			// The victim's cookies still work.
			req, _ := http.NewRequest("GET", base+"/api/me", nil)
			req.Header.Set("Cookie", "sAccessToken="+access.Value)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Errorf("the victim's session after the forged forms: %d", res.StatusCode)
			}
		})
	}
}
