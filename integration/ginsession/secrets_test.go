package ginsession_test

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
)

// TestNoSecretsInLogsOrStorage runs sign-in, refresh, a retry, theft and
// sign-out with debug logging on, then scans the logs and every stored
// column for the raw refresh tokens, access tokens and anti-CSRF tokens.
func TestNoSecretsInLogsOrStorage(t *testing.T) {
	logs := &lockedBuffer{}
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		cfg.AntiCSRF = ginsession.AntiCSRFViaToken
	})
	var secrets []string
	c := e.newClient("header")
	c.signIn("u")
	secrets = append(secrets, c.refresh, c.access, c.csrf)
	first := c.refresh
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
	secrets = append(secrets, c.refresh, c.access)
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
	secrets = append(secrets, c.refresh, c.access)

	d := e.newClient("cookie")
	d.signIn("w")
	secrets = append(secrets, d.refreshToken(), d.cookie("sAccessToken", "/"), d.csrf)
	expectStatus(t, d.do("POST", "/auth/signout", ""), 200, "")

	// Scan storage before the theft below deletes the session.
	dump := dumpStore(t, e.store)
	if !strings.Contains(dump, "ginsession_sessions") {
		t.Fatal("the storage scan found no session rows: the scan is broken")
	}

	c.refresh = first
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 401, "token theft detected")
	e.clock.Advance(time.Hour)

	logText := logs.String()
	if !strings.Contains(logText, "theft") {
		t.Fatalf("no theft record in the logs: %s", logText)
	}
	for _, s := range secrets {
		if s == "" {
			t.Fatal("a secret was not captured")
		}
		raw, _ := base64.RawURLEncoding.DecodeString(s)
		for _, form := range []string{s, fmt.Sprintf("%x", raw)} {
			if len(form) < 16 {
				continue
			}
			if strings.Contains(logText, form) {
				t.Errorf("a token appears in the logs")
			}
			if strings.Contains(dump, form) {
				t.Errorf("a token appears in a stored column")
			}
		}
		// JWT signatures: the access token's last segment.
		if i := strings.LastIndex(s, "."); i > 0 && strings.Contains(logText, s[i+1:]) {
			t.Errorf("an access-token signature appears in the logs")
		}
	}
}
