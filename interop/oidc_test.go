package interop

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

func init() { gin.SetMode(gin.TestMode) }

// clock is a settable clock shared by ginsession and the verifier.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// service is a ginsession app: a sign-in route answering the access
// token in header mode.
type service struct {
	url   string
	clock *clock
}

func startService(t *testing.T, clk *clock) *service {
	t.Helper()
	st, err := sqlitestore.Open(filepath.Join(t.TempDir(), "sessions.db"), gormstore.Options{CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := gin.New()
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	sessions, err := ginsession.Register(r, ginsession.Config{
		Store:               st,
		APIDomain:           srv.URL,
		Now:                 clk.Now,
		AccessTokenTTL:      10 * time.Minute,
		KeyRotationInterval: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	r.POST("/signin", func(c *gin.Context) {
		if _, err := sessions.Create(c, c.Query("user"), map[string]any{"role": "reader"}, nil); err != nil {
			sessions.HandleError(c, err)
		}
	})
	return &service{url: srv.URL, clock: clk}
}

// signIn returns a fresh access token for user.
func (s *service) signIn(t *testing.T, user string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", s.url+"/signin?user="+user, nil)
	req.Header.Set("st-auth-mode", "header")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tok := resp.Header.Get("st-access-token")
	if resp.StatusCode != 200 || tok == "" {
		t.Fatalf("sign-in: %d, token %q", resp.StatusCode, tok)
	}
	return tok
}

// verifierFor discovers the issuer with go-oidc and returns its verifier.
// ginsession's access tokens have no audience (they are not ID tokens of
// a client), so the client-id check is off; issuer, signature, algorithm
// and expiry are all go-oidc's.
func verifierFor(t *testing.T, issuer string, clk *clock) *oidc.IDTokenVerifier {
	t.Helper()
	provider, err := oidc.NewProvider(context.Background(), issuer)
	if err != nil {
		t.Fatalf("discovering %s: %v", issuer, err)
	}
	return provider.Verifier(&oidc.Config{SkipClientIDCheck: true, Now: clk.Now})
}

func TestGoOIDCVerifiesAccessTokens(t *testing.T) {
	clk := &clock{t: time.Now().Truncate(time.Second)}
	svc := startService(t, clk)
	issuer := svc.url + "/auth"
	verifier := verifierFor(t, issuer, clk)

	tok := svc.signIn(t, "alice")
	idt, err := verifier.Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("go-oidc refused a ginsession access token: %v", err)
	}
	var claims struct {
		Role    string `json:"role"`
		Handle  string `json:"sessionHandle"`
		Subject string `json:"sub"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Subject != "alice" || idt.Issuer != issuer || claims.Role != "reader" || claims.Handle == "" {
		t.Errorf("verified token: sub %q iss %q claims %+v", idt.Subject, idt.Issuer, claims)
	}

	// What go-oidc must refuse: a changed payload, an expired token, and a
	// token of another ginsession (another issuer, other keys).
	parts := strings.Split(tok, ".")
	forged := parts[0] + "." + strings.TrimRight(parts[1], "A") + "B." + parts[2]
	if _, err := verifier.Verify(context.Background(), forged); err == nil {
		t.Error("go-oidc accepted a token with a changed payload")
	}
	other := startService(t, clk)
	if _, err := verifier.Verify(context.Background(), other.signIn(t, "mallory")); err == nil {
		t.Error("go-oidc accepted another issuer's token")
	}
	clk.Advance(11 * time.Minute)
	if _, err := verifier.Verify(context.Background(), tok); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("an expired token: %v", err)
	}
}

// A key rotation is picked up: after the next key starts signing, go-oidc
// meets an unknown kid, fetches the keys again and verifies the new token.
func TestGoOIDCFollowsKeyRotation(t *testing.T) {
	clk := &clock{t: time.Now().Truncate(time.Second)}
	svc := startService(t, clk)
	verifier := verifierFor(t, svc.url+"/auth", clk)
	before := svc.signIn(t, "bob")
	if _, err := verifier.Verify(context.Background(), before); err != nil {
		t.Fatal(err)
	}
	kidOf := func(tok string) string {
		t.Helper()
		h, err := oidcHeader(tok)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	clk.Advance(time.Hour + time.Minute) // the second key signs now
	after := svc.signIn(t, "bob")
	if kidOf(after) == kidOf(before) {
		t.Fatalf("no rotation: both tokens have kid %s", kidOf(after))
	}
	if _, err := verifier.Verify(context.Background(), after); err != nil {
		t.Fatalf("go-oidc did not pick up the new key: %v", err)
	}
}
