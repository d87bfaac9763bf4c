package ginsession_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// The routes a backend on supertokens-node asks in place of its core
// (Config.CoreCompat, Sessions.MountCoreCompat), over real HTTP. The real
// SDK against them is interop/supertokensnode_test.go.

const coreKey = "core-api-key-for-the-node-backends"

// newCoreEnv is newEnv with CoreCompat (the api key when key is not "") and
// the core routes at /st-core.
func newCoreEnv(t *testing.T, key string) *env {
	t.Helper()
	e := newEnv(t, func(cfg *ginsession.Config) { cfg.CoreCompat = &ginsession.CoreCompat{APIKey: key} })
	if err := e.sessions.MountCoreCompat(e.router.Group("/st-core")); err != nil {
		t.Fatal(err)
	}
	return e
}

// coreVerify posts a verification request as supertokens-node does.
func coreVerify(t *testing.T, e *env, key, tok string, checkDatabase bool, extra ...string) *resp {
	t.Helper()
	body := map[string]any{"accessToken": tok, "doAntiCsrfCheck": false, "enableAntiCsrf": false, "checkDatabase": checkDatabase}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i]] = extra[i+1]
	}
	if len(extra) > 0 {
		body["doAntiCsrfCheck"], body["enableAntiCsrf"] = true, true
	}
	b, _ := json.Marshal(body)
	hdr := []string{"cdi-version", "5.4"}
	if key != "" {
		hdr = append(hdr, "api-key", key)
	}
	return sendRaw(t, e.server.URL, "POST", "/st-core/recipe/session/verify", string(b), hdr...)
}

// coreStatus is the "status" of a verification answer (200 always).
func coreStatus(t *testing.T, r *resp) string {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("verify answered %d %s", r.status, r.raw)
	}
	s, _ := r.body["status"].(string)
	return s
}

func TestMountCoreCompatNeedsConfig(t *testing.T) {
	e := newEnv(t, nil)
	if err := e.sessions.MountCoreCompat(e.router.Group("/st-core")); err == nil || !strings.Contains(err.Error(), "Config.CoreCompat") {
		t.Fatalf("MountCoreCompat without Config.CoreCompat: %v, want an error naming it", err)
	}
	c := newCoreEnv(t, "")
	var nilGroup *gin.RouterGroup
	if err := c.sessions.MountCoreCompat(nilGroup); err == nil {
		t.Fatal("MountCoreCompat(nil) mounted")
	}
}

// TestCoreCompatTokenShape: with CoreCompat the access token is what
// supertokens-node takes for the core's version 5 (header version "5", a
// "d-" kid it finds in the core JWKS; tId, rsub, refreshTokenHash1), and
// the frontend sees the same payload in the front token; the engine's own
// routes still verify it.
func TestCoreCompatTokenShape(t *testing.T) {
	e := newCoreEnv(t, coreKey)
	tk, _ := rawSignIn(t, e.server.URL, "header", "alice", `{"role":"reader"}`)
	h, p, _ := splitJWT(t, tk.access)
	var header struct{ Kid, Version, Typ string }
	var payload map[string]any
	hb, _ := base64.RawURLEncoding.DecodeString(h)
	pb, _ := base64.RawURLEncoding.DecodeString(p)
	if json.Unmarshal(hb, &header) != nil || json.Unmarshal(pb, &payload) != nil {
		t.Fatal("undecodable token")
	}
	if header.Version != "5" || header.Typ != "JWT" || !strings.HasPrefix(header.Kid, "d-") {
		t.Fatalf("header %s", hb)
	}
	want := map[string]any{"sub": "alice", "rsub": "alice", "tId": "public", "refreshTokenHash1": "", "role": "reader", "sessionHandle": tk.handle}
	front, _ := decodeFront(t, tk.front)["up"].(map[string]any)
	for k, v := range want {
		if payload[k] != v || front[k] != v {
			t.Errorf("claim %s: token %v, front token %v; want %v", k, payload[k], front[k], v)
		}
	}
	jwks := sendRaw(t, e.server.URL, "GET", "/st-core/.well-known/jwks.json", "")
	if jwks.status != 200 || !strings.Contains(jwks.raw, `"kid":"`+header.Kid+`"`) {
		t.Fatalf("core JWKS: %d %s, want the token's kid %s", jwks.status, jwks.raw, header.Kid)
	}
	if r := sendWithToken(t, e.server.URL, "header", "GET", "/api/checked", "", tk.access); r.status != 200 || r.body["userId"] != "alice" {
		t.Fatalf("the engine's own CheckDatabase route: %d %s", r.status, r.raw)
	}
}

// TestCoreCompatVerify: the verification supertokens-node asks for with
// checkDatabase answers from the token, the revocation set and the store.
func TestCoreCompatVerify(t *testing.T) {
	e := newCoreEnv(t, coreKey)
	tk, _ := rawSignIn(t, e.server.URL, "header", "alice", `{"role":"reader"}`)

	r := coreVerify(t, e, coreKey, tk.access, false)
	if coreStatus(t, r) != "OK" {
		t.Fatalf("valid token: %s", r.raw)
	}
	s, _ := r.body["session"].(map[string]any)
	data, _ := s["userDataInJWT"].(map[string]any)
	if s["handle"] != tk.handle || s["userId"] != "alice" || s["recipeUserId"] != "alice" || s["tenantId"] != "public" || data["role"] != "reader" {
		t.Fatalf("session %v", s)
	}
	if _, has := data["sub"]; has {
		t.Errorf("userDataInJWT %v holds the protected claims; the core's holds the app's only", data)
	}
	if _, has := r.body["accessToken"]; has {
		t.Errorf("verify issued an access token: %s", r.raw)
	}

	// checkDatabase reads the newest payload from the store.
	if err := e.sessions.MergeIntoPayload(context.Background(), tk.handle, map[string]any{"role": "editor"}); err != nil {
		t.Fatal(err)
	}
	r = coreVerify(t, e, coreKey, tk.access, true)
	s, _ = r.body["session"].(map[string]any)
	data, _ = s["userDataInJWT"].(map[string]any)
	if coreStatus(t, r) != "OK" || data["role"] != "editor" {
		t.Fatalf("checkDatabase after a payload update: %s", r.raw)
	}

	// Anti-CSRF when the SDK asks for it: this engine issues no anti-csrf
	// token, so no value passes.
	if got := coreStatus(t, coreVerify(t, e, coreKey, tk.access, false, "antiCsrfToken", "anything")); got != "TRY_REFRESH_TOKEN" {
		t.Errorf("anti-csrf check with no anti-csrf token issued: %s", got)
	}

	// Tampered and malformed tokens.
	h, p, _ := splitJWT(t, tk.access)
	bad := flipChar(tk.access, len(h)+1+len(p)/2) // a character of the payload
	if got := coreStatus(t, coreVerify(t, e, coreKey, bad, true)); got != "TRY_REFRESH_TOKEN" {
		t.Errorf("changed payload: %s", got)
	}
	if got := coreStatus(t, coreVerify(t, e, coreKey, resignWithForeignKey(t, tk.access, kidOf(t, tk.access)), true)); got != "TRY_REFRESH_TOKEN" {
		t.Errorf("foreign key: %s", got)
	}
	if got := coreStatus(t, coreVerify(t, e, coreKey, "not-a-token", true)); got != "UNAUTHORISED" {
		t.Errorf("not a token: %s", got)
	}

	// Revoked: refused with or without checkDatabase (the revocation set).
	if ok, err := e.sessions.RevokeSession(context.Background(), tk.handle); err != nil || !ok {
		t.Fatalf("revoke: %v %v", ok, err)
	}
	for _, check := range []bool{false, true} {
		if got := coreStatus(t, coreVerify(t, e, coreKey, tk.access, check)); got != "UNAUTHORISED" {
			t.Errorf("revoked (checkDatabase %v): %s", check, got)
		}
	}
}

// TestCoreCompatAPIKey: the API version and the verification need the
// configured key; the JWKS does not (the core's is public); with no key
// configured none is asked for.
func TestCoreCompatAPIKey(t *testing.T) {
	e := newCoreEnv(t, coreKey)
	tk, _ := rawSignIn(t, e.server.URL, "header", "alice", "")
	for _, key := range []string{"", "wrong", coreKey + "x"} {
		if r := coreVerify(t, e, key, tk.access, false); r.status != 401 || r.raw != "Invalid API key" {
			t.Errorf("verify with key %q: %d %q", key, r.status, r.raw)
		}
		hdr := []string{}
		if key != "" {
			hdr = []string{"api-key", key}
		}
		if r := sendRaw(t, e.server.URL, "GET", "/st-core/apiversion", "", hdr...); r.status != 401 {
			t.Errorf("apiversion with key %q: %d", key, r.status)
		}
	}
	r := sendRaw(t, e.server.URL, "GET", "/st-core/apiversion", "", "api-key", coreKey)
	versions, _ := r.body["versions"].([]any)
	if r.status != 200 || len(versions) == 0 || versions[len(versions)-1] != "5.4" {
		t.Fatalf("apiversion: %d %s", r.status, r.raw)
	}
	if r := sendRaw(t, e.server.URL, "GET", "/st-core/.well-known/jwks.json", ""); r.status != 200 {
		t.Fatalf("JWKS without a key: %d", r.status)
	}
	if r := sendRaw(t, e.server.URL, "POST", "/st-core/recipe/session/verify", `{"accessToken":`, "api-key", coreKey); r.status != 400 {
		t.Errorf("truncated body: %d, want 400", r.status)
	}

	open := newCoreEnv(t, "")
	tk, _ = rawSignIn(t, open.server.URL, "header", "bob", "")
	if got := coreStatus(t, coreVerify(t, open, "", tk.access, true)); got != "OK" {
		t.Errorf("no key configured, none sent: %s", got)
	}
}
