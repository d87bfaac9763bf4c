package ginsession_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// The session routes answer a frontend of another origin whatever order
// the app adds its CORS middleware in. A newcomer wrote Register and then
// r.Use(sessions.CORS()): the refresh's preflight passed (Gin runs the
// middleware on its 404 handler), but the POST answered without
// Access-Control-Allow-Origin, so the browser dropped it and the user was
// signed out at the first expiry.
func TestCORSSessionRoutesWhateverTheOrder(t *testing.T) {
	const frontend = "http://localhost:3000"
	setups := map[string]func(r *gin.Engine, cfg ginsession.Config) (*ginsession.Sessions, error){
		"Register, then Use": func(r *gin.Engine, cfg ginsession.Config) (*ginsession.Sessions, error) {
			s, err := ginsession.Register(r, cfg)
			if err == nil {
				r.Use(s.CORS())
			}
			return s, err
		},
		"New, Use, Mount": func(r *gin.Engine, cfg ginsession.Config) (*ginsession.Sessions, error) {
			s, err := ginsession.New(cfg)
			if err != nil {
				return nil, err
			}
			r.Use(s.CORS())
			return s, s.Mount(r)
		},
		"Register, no CORS middleware": func(r *gin.Engine, cfg ginsession.Config) (*ginsession.Sessions, error) {
			return ginsession.Register(r, cfg)
		},
	}
	for name, setup := range setups {
		t.Run(name, func(t *testing.T) {
			r := gin.New()
			srv := httptest.NewServer(r)
			t.Cleanup(srv.Close)
			s, err := setup(r, ginsession.Config{Store: openSQLite(t), APIDomain: srv.URL, WebsiteDomain: frontend})
			if err != nil {
				t.Fatal(err)
			}
			mountSignIn(r, s)
			tk, _ := rawSignIn(t, srv.URL, "cookie", "newcomer", "", "Origin", frontend)

			for _, path := range []string{refreshPath, "/auth/signout"} {
				pre := sendRaw(t, srv.URL, "OPTIONS", path, "", "Origin", frontend,
					"Access-Control-Request-Method", "POST",
					"Access-Control-Request-Headers", "rid,fdi-version,st-auth-mode,content-type")
				if pre.status/100 != 2 {
					t.Errorf("preflight %s: %d", path, pre.status)
				}
				expectCORSFor(t, "preflight "+path, pre.header, frontend)
				if allowed := strings.ToLower(pre.header.Get("Access-Control-Allow-Headers")); !strings.Contains(allowed, "st-auth-mode") {
					t.Errorf("preflight %s allows headers %q", path, allowed)
				}
			}
			// The credentialed refresh the browser sends after the preflight.
			ref := sendRaw(t, srv.URL, "POST", refreshPath, "", "Origin", frontend, "rid", "session",
				"fdi-version", "4.1", "st-auth-mode", "cookie", "Cookie", "sRefreshToken="+tk.refresh)
			expectStatus(t, ref, 200, "")
			expectCORSFor(t, "refresh", ref.header, frontend)
			if exposed := strings.ToLower(ref.header.Get("Access-Control-Expose-Headers")); !strings.Contains(exposed, "front-token") {
				t.Errorf("refresh exposes %q: the SDK cannot read front-token", exposed)
			}
			access := tokensIn(t, ref, "cookie").access
			out := sendRaw(t, srv.URL, "POST", "/auth/signout", "", "Origin", frontend, "rid", "anti-csrf",
				"st-auth-mode", "cookie", "Cookie", "sAccessToken="+access)
			expectStatus(t, out, 200, "")
			expectCORSFor(t, "sign-out", out.header, frontend)

			// Another origin gets no CORS answer: a refusal by the app's
			// middleware where it runs first (403), else the route's own
			// answer to a request without a refresh token.
			evil := sendRaw(t, srv.URL, "POST", refreshPath, "", "Origin", "https://evil.test", "rid", "session")
			if v := evil.header.Values("Access-Control-Allow-Origin"); len(v) != 0 {
				t.Errorf("refresh from another origin: Access-Control-Allow-Origin %q", v)
			}
			if evil.status != 401 && evil.status != 403 {
				t.Errorf("refresh from another origin without a token: %d %s", evil.status, evil.raw)
			}
		})
	}
}

// expectCORSFor checks a credentialed CORS answer for origin: exactly one
// Access-Control-Allow-Origin, the origin itself, with credentials.
func expectCORSFor(t *testing.T, what string, h http.Header, origin string) {
	t.Helper()
	if got := h.Values("Access-Control-Allow-Origin"); !slices.Equal(got, []string{origin}) {
		t.Errorf("%s: Access-Control-Allow-Origin %q, want exactly %q", what, got, origin)
	}
	if got := h.Values("Access-Control-Allow-Credentials"); !slices.Equal(got, []string{"true"}) {
		t.Errorf("%s: Access-Control-Allow-Credentials %q", what, got)
	}
}
