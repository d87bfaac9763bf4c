package interop

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

// The real supertokens-node (interop/node, pinned in its package-lock.json)
// verifies sessions ginsession created, its core being ginsession's
// MountCoreCompat routes. Without node or interop/node/node_modules (npm ci)
// the test skips; under CI=true it fails instead.

const nodeCoreAPIKey = "interop-core-api-key-0123456789"

// coreCall is one request the node SDK made to the core routes.
type coreCall struct {
	Method, Path string
	APIKey       string
	CDIVersion   string
}

// coreService is a ginsession app with the core-compatible routes at
// /st-core, recording the calls made to them.
type coreService struct {
	url      string
	sessions *ginsession.Sessions
	mu       sync.Mutex
	calls    []coreCall
}

func (s *coreService) takeCalls() []coreCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls
	s.calls = nil
	return c
}

func startCoreService(t *testing.T, mutate func(*ginsession.Config)) *coreService {
	t.Helper()
	st, err := sqlitestore.Open(filepath.Join(t.TempDir(), "sessions.db"), gormstore.Options{CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := gin.New()
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	svc := &coreService{url: srv.URL}
	cfg := ginsession.Config{
		Store:          st,
		APIDomain:      srv.URL,
		AccessTokenTTL: 10 * time.Minute,
		CoreCompat:     &ginsession.CoreCompat{APIKey: nodeCoreAPIKey},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	svc.sessions, err = ginsession.Register(r, cfg)
	if err != nil {
		t.Fatal(err)
	}
	core := r.Group("/st-core", func(c *gin.Context) {
		svc.mu.Lock()
		svc.calls = append(svc.calls, coreCall{c.Request.Method, strings.TrimPrefix(c.Request.URL.Path, "/st-core"), c.GetHeader("api-key"), c.GetHeader("cdi-version")})
		svc.mu.Unlock()
	})
	if err := svc.sessions.MountCoreCompat(core); err != nil {
		t.Fatal(err)
	}
	r.POST("/signin", func(c *gin.Context) {
		s, err := svc.sessions.Create(c, c.Query("user"), map[string]any{"role": "reader"}, nil)
		if err != nil {
			svc.sessions.HandleError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"handle": s.Handle()})
	})
	return svc
}

// signIn returns a new session's access token (header mode) and handle.
func (s *coreService) signIn(t *testing.T, user string) (tok, handle string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.url+"/signin?user="+user, nil)
	req.Header.Set("st-auth-mode", "header")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Handle string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	tok = resp.Header.Get("st-access-token")
	if resp.StatusCode != 200 || tok == "" || body.Handle == "" {
		t.Fatalf("sign-in: %d, token %q, handle %q", resp.StatusCode, tok, body.Handle)
	}
	return tok, body.Handle
}

// nodeCase is one token for the node SDK to verify, and its verdict.
type nodeCase struct {
	Name          string `json:"name"`
	Token         string `json:"token"`
	CheckDatabase bool   `json:"checkDatabase"`
}

type nodeResult struct {
	Name         string         `json:"name"`
	OK           bool           `json:"ok"`
	Type         *string        `json:"type"`
	Message      string         `json:"message"`
	UserID       string         `json:"userId"`
	RecipeUserID string         `json:"recipeUserId"`
	Handle       string         `json:"handle"`
	TenantID     string         `json:"tenantId"`
	Payload      map[string]any `json:"payload"`
}

// nodeDir is interop/node, or the test skips (fails under CI=true) when
// node or the installed SDK is missing.
func nodeDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("node")
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "supertokens-node", "package.json")); err != nil {
		missing = append(missing, "interop/node/node_modules/supertokens-node (cd interop/node && npm ci)")
	}
	if len(missing) > 0 {
		msg := "supertokens-node interop needs " + strings.Join(missing, ", ")
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true: " + msg)
		}
		t.Skip(msg)
	}
	return dir
}

// runNode has supertokens-node verify cases against the core at coreURI.
func runNode(t *testing.T, dir, coreURI, apiKey string, cases []nodeCase) map[string]nodeResult {
	t.Helper()
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nice", "-n", "19", "node", "verify.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CORE_URI="+coreURI, "CORE_API_KEY="+apiKey)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node verify.mjs: %v\n%s", err, stderr.String())
	}
	var results []nodeResult
	if err := json.Unmarshal(stdout.Bytes(), &results); err != nil {
		t.Fatalf("node's answer %q: %v\n%s", stdout.String(), err, stderr.String())
	}
	if len(results) != len(cases) {
		t.Fatalf("%d results for %d cases", len(results), len(cases))
	}
	out := make(map[string]nodeResult, len(results))
	for _, r := range results {
		out[r.Name] = r
	}
	return out
}

// splitJWS returns the decoded header and payload of a compact JWS.
func splitJWS(t *testing.T, tok string) (header, payload []byte) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", tok)
	}
	h, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	p, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	if err1 != nil || err2 != nil {
		t.Fatalf("decoding %q: %v %v", tok, err1, err2)
	}
	return h, p
}

// tampered returns tok with one byte of its payload changed ("reader" ->
// "readex"), the signature kept.
func tampered(t *testing.T, tok string) string {
	t.Helper()
	_, p := splitJWS(t, tok)
	changed := bytes.Replace(p, []byte(`"reader"`), []byte(`"readex"`), 1)
	if bytes.Equal(changed, p) {
		t.Fatalf("payload %s has no role to change", p)
	}
	parts := strings.Split(tok, ".")
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(changed) + "." + parts[2]
}

// foreignSigned returns tok's header and claims signed by a key that is
// not ginsession's; kid is the header's kid ("" keeps tok's).
func foreignSigned(t *testing.T, tok, kid string) string {
	t.Helper()
	h, p := splitJWS(t, tok)
	var header map[string]any
	claims := jwt.MapClaims{}
	if json.Unmarshal(h, &header) != nil || json.Unmarshal(p, &claims) != nil {
		t.Fatal("undecodable token")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ft := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	for k, v := range header {
		ft.Header[k] = v
	}
	if kid != "" {
		ft.Header["kid"] = kid
	}
	signed, err := ft.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// algNone returns tok's claims as an unsecured JWS ("alg":"none", no
// signature), with tok's kid and version.
func algNone(t *testing.T, tok string) string {
	t.Helper()
	h, p := splitJWS(t, tok)
	var header map[string]any
	if json.Unmarshal(h, &header) != nil {
		t.Fatal("undecodable header")
	}
	header["alg"] = "none"
	hb, _ := json.Marshal(header)
	return base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(p) + "."
}

// TestSupertokensNodeVerifiesGinsessionSessions: the real supertokens-node
// accepts a session ginsession created (user, handle, payload) offline and
// with checkDatabase; refuses a revoked one with checkDatabase (and,
// offline, accepts it until the token expires: it has only the JWKS);
// refuses a payload changed by one byte, a token signed by a foreign key
// (under ginsession's kid or its own), and an unsigned one.
func TestSupertokensNodeVerifiesGinsessionSessions(t *testing.T) {
	dir := nodeDir(t)
	svc := startCoreService(t, nil)
	coreURI := svc.url + "/st-core"

	alice, aliceHandle := svc.signIn(t, "alice")
	bob, bobHandle := svc.signIn(t, "bob")
	if ok, err := svc.sessions.RevokeSession(context.Background(), bobHandle); err != nil || !ok {
		t.Fatalf("revoking bob: %v, %v", ok, err)
	}
	h, _ := splitJWS(t, alice)
	var header struct{ Kid, Version string }
	if err := json.Unmarshal(h, &header); err != nil || !strings.HasPrefix(header.Kid, "d-") || header.Version != "5" {
		t.Fatalf("header %s: want a d- kid and version 5", h)
	}
	foreignKid := "d-" + strings.Repeat("ab", 16)

	cases := []nodeCase{
		{Name: "valid", Token: alice},
		{Name: "valid, checkDatabase", Token: alice, CheckDatabase: true},
		{Name: "revoked", Token: bob},
		{Name: "revoked, checkDatabase", Token: bob, CheckDatabase: true},
		{Name: "payload changed", Token: tampered(t, alice)},
		{Name: "payload changed, checkDatabase", Token: tampered(t, alice), CheckDatabase: true},
		{Name: "foreign key, our kid", Token: foreignSigned(t, alice, "")},
		{Name: "foreign key, its kid", Token: foreignSigned(t, alice, foreignKid)},
		{Name: "foreign key, checkDatabase", Token: foreignSigned(t, alice, ""), CheckDatabase: true},
		{Name: "alg none", Token: algNone(t, alice)},
	}
	got := runNode(t, dir, coreURI, nodeCoreAPIKey, cases)

	for _, name := range []string{"valid", "valid, checkDatabase"} {
		r := got[name]
		if !r.OK {
			t.Fatalf("%s: supertokens-node refused ginsession's session: %+v", name, r)
		}
		if r.UserID != "alice" || r.RecipeUserID != "alice" || r.Handle != aliceHandle || r.TenantID != "public" {
			t.Errorf("%s: user %q, recipe user %q, handle %q (want %q), tenant %q", name, r.UserID, r.RecipeUserID, r.Handle, aliceHandle, r.TenantID)
		}
		if r.Payload["role"] != "reader" || r.Payload["sub"] != "alice" || r.Payload["sessionHandle"] != aliceHandle {
			t.Errorf("%s: payload %v", name, r.Payload)
		}
	}
	// Offline, the SDK has only the JWKS: a revoked session's token verifies
	// until it expires (AccessTokenTTL), as with the SuperTokens core.
	if r := got["revoked"]; !r.OK || r.Handle != bobHandle {
		t.Errorf("revoked, offline: %+v, want accepted (the SDK does not ask the core)", r)
	}
	refused := map[string]string{
		"revoked, checkDatabase":         "UNAUTHORISED",
		"payload changed":                "TRY_REFRESH_TOKEN",
		"payload changed, checkDatabase": "TRY_REFRESH_TOKEN",
		"foreign key, our kid":           "TRY_REFRESH_TOKEN",
		"foreign key, its kid":           "TRY_REFRESH_TOKEN",
		"foreign key, checkDatabase":     "TRY_REFRESH_TOKEN",
		"alg none":                       "TRY_REFRESH_TOKEN",
	}
	for name, want := range refused {
		r := got[name]
		if r.OK || r.Type == nil || *r.Type != want {
			t.Errorf("%s: %+v, want refused with %s", name, r, want)
		}
	}

	// What the SDK asked: the JWKS without a key (as of the core, it is
	// public); the API version and the verification with the key, the
	// latter in the CDI version the SDK chose.
	var jwks, apiVersion, verify int
	for _, c := range svc.takeCalls() {
		switch {
		case c.Method == "GET" && c.Path == "/.well-known/jwks.json":
			jwks++
		case c.Method == "GET" && c.Path == "/apiversion":
			apiVersion++
			if c.APIKey != nodeCoreAPIKey {
				t.Errorf("/apiversion without the api key: %+v", c)
			}
		case c.Method == "POST" && c.Path == "/recipe/session/verify":
			verify++
			if c.APIKey != nodeCoreAPIKey || c.CDIVersion == "" {
				t.Errorf("verify without the api key or cdi-version: %+v", c)
			}
		default:
			t.Errorf("unexpected core call %+v", c)
		}
	}
	// Only the checkDatabase cases whose signature held reach the core.
	if jwks == 0 || apiVersion != 1 || verify != 2 {
		t.Errorf("core calls: %d JWKS, %d apiversion, %d verify; want some, 1, 2", jwks, apiVersion, verify)
	}
}

// TestSupertokensNodeNeedsTheCoreAPIKey: with a wrong api key the SDK's
// checkDatabase verification fails (the core routes answer 401), while
// the public JWKS still serves offline verification.
func TestSupertokensNodeNeedsTheCoreAPIKey(t *testing.T) {
	dir := nodeDir(t)
	svc := startCoreService(t, nil)
	alice, _ := svc.signIn(t, "alice")
	got := runNode(t, dir, svc.url+"/st-core", "not-the-key", []nodeCase{
		{Name: "offline", Token: alice},
		{Name: "checkDatabase", Token: alice, CheckDatabase: true},
	})
	if r := got["offline"]; !r.OK || r.UserID != "alice" {
		t.Errorf("offline: %+v, want accepted", r)
	}
	if r := got["checkDatabase"]; r.OK || !strings.Contains(r.Message, "401") {
		t.Errorf("checkDatabase with a wrong key: %+v, want the core's 401", r)
	}
	for _, path := range []string{"/apiversion", "/recipe/session/verify"} {
		method := "GET"
		if path == "/recipe/session/verify" {
			method = "POST"
		}
		req, _ := http.NewRequest(method, svc.url+"/st-core"+path, strings.NewReader(`{"accessToken":"`+alice+`","checkDatabase":true}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s without an api key: %d, want 401", method, path, resp.StatusCode)
		}
	}
}

// TestSupertokensNodeVerifiesEverySigningAlgorithm: the SDK's key set
// (the jose library) takes ginsession's JWKS and tokens in each algorithm
// it can sign with.
func TestSupertokensNodeVerifiesEverySigningAlgorithm(t *testing.T) {
	dir := nodeDir(t)
	for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			svc := startCoreService(t, func(cfg *ginsession.Config) { cfg.SigningAlgorithm = alg })
			tok, handle := svc.signIn(t, "alice")
			got := runNode(t, dir, svc.url+"/st-core", nodeCoreAPIKey, []nodeCase{
				{Name: "offline", Token: tok},
				{Name: "checkDatabase", Token: tok, CheckDatabase: true},
			})
			for name, r := range got {
				if !r.OK || r.UserID != "alice" || r.Handle != handle {
					t.Errorf("%s: %+v", name, r)
				}
			}
		})
	}
}
