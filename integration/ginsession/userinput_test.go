package ginsession_test

// User ids, payloads and session data from users (SECURITY.md C): stored
// and returned byte-identical on every backend, or refused with a clear 4xx.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store"
)

// SECURITY.md C: user ids and session data with `' OR 1=1 --`, 10 KB,
// emoji, NUL → stored and returned byte-identical, or a clear 4xx at
// creation. On SQLite and on Postgres, through every way they come back.
func TestUserInputIDsAndData(t *testing.T) {
	onSQLiteAndPostgres(t, func(t *testing.T, st store.Store) {
		e := newEnvOn(t, st, newClock(), nil)
		// Raw bytes as the user id (JSON cannot carry invalid UTF-8).
		e.router.POST("/signin-raw", func(c *gin.Context) {
			b, _ := io.ReadAll(c.Request.Body)
			if _, err := e.sessions.Create(c, string(b), nil, nil); err != nil {
				e.sessions.HandleError(c, err)
				return
			}
			c.JSON(200, gin.H{})
		})
		e.router.GET("/api/data", e.sessions.Verify(), func(c *gin.Context) {
			d, err := ginsession.FromContext(c).Data(c)
			if err != nil {
				e.sessions.HandleError(c, err)
				return
			}
			c.JSON(200, d)
		})
		long := strings.Repeat("é", 512) // 1024 bytes: the longest id allowed
		good := []string{"' OR 1=1 --", "'; DROP TABLE ginsession_sessions; --", `" OR ""="`, "Robert'); DROP TABLE Students;--",
			"🙂", "👩‍👩‍👧‍👦 family", "\u202eevil\u202c", "zero\u200bwidth", "%s%n%x", `back\slash`, "tab\there", "new\nline", long, "\x7f"}
		for _, id := range good {
			name := id
			if len(name) > 20 {
				name = name[:20]
			}
			t.Run(fmt.Sprintf("id %q", name), func(t *testing.T) {
				for _, mode := range modes {
					c := e.newClient(mode)
					body, _ := json.Marshal(map[string]any{"user": id})
					in := c.do("POST", "/signin", string(body))
					expectStatus(t, in, 200, "")
					if uid := decodeFront(t, in.header.Get("front-token"))["uid"]; uid != id {
						t.Errorf("front-token uid %q", uid)
					}
					if me := c.do("GET", "/api/checked", ""); me.status != 200 || me.body["userId"] != id {
						t.Errorf("verify: %d %q", me.status, me.body["userId"])
					}
					expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
					if me := c.do("GET", "/api/me", ""); me.body["userId"] != id {
						t.Errorf("after refresh: %q", me.body["userId"])
					}
				}
				list, err := e.sessions.ListSessions(t.Context(), id)
				if err != nil || len(list) != 2 || list[0].UserID != id {
					t.Fatalf("ListSessions(%q): %d sessions, %v", id, len(list), err)
				}
				handles, err := e.sessions.RevokeAllSessions(t.Context(), id)
				if err != nil || len(handles) != 2 {
					t.Fatalf("RevokeAllSessions: %v %v", handles, err)
				}
			})
		}
		bad := map[string]string{
			"empty":            "",
			"NUL":              "a\x00b",
			"only NUL":         "\x00",
			"invalid UTF-8":    "\xff\xfe",
			"1025 bytes":       long + "x",
			"10 KB":            strings.Repeat("u", 10<<10),
			"10 KB of SQL":     strings.Repeat("' OR 1=1 --", 1000),
			"truncated UTF-8 ": "🙂"[:3],
		}
		for name, id := range bad {
			t.Run("refused "+name, func(t *testing.T) {
				r := sendRaw(t, e.server.URL, "POST", "/signin-raw", id, "st-auth-mode", "header")
				if r.status != 400 || r.header.Get("st-access-token") != "" || r.header.Get("front-token") != "" {
					t.Fatalf("%d %s, want a clear 400", r.status, r.raw)
				}
			})
		}
		// Payload and data with the same values.
		values := map[string]any{
			"sql": "' OR 1=1 --", "nul": "a\x00b", "emoji": "🙂👩‍👩‍👧‍👦", "rtl": "\u202e", "quote": `"'\`,
			"nested": map[string]any{"list": []any{"\x00", "🙂", "' --"}},
		}
		bigData := map[string]any{"blob": strings.Repeat("x\x00🙂", 10<<10/6)} // ~10 KB with NUL and emoji
		for _, mode := range modes {
			t.Run("payload and data/"+mode, func(t *testing.T) {
				c := e.newClient(mode)
				body, _ := json.Marshal(map[string]any{"user": "' OR 1=1 --", "payload": values, "data": mergeMaps(values, bigData)})
				in := c.do("POST", "/signin", string(body))
				expectStatus(t, in, 200, "")
				up, _ := decodeFront(t, in.header.Get("front-token"))["up"].(map[string]any)
				checkSubset(t, "front-token up", values, up)
				me := c.do("GET", "/api/me", "")
				p, _ := me.body["payload"].(map[string]any)
				checkSubset(t, "verified payload", values, p)
				d := c.do("GET", "/api/data", "")
				checkSubset(t, "session data", mergeMaps(values, bigData), d.body)
				expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
				me = c.do("GET", "/api/checked", "")
				p, _ = me.body["payload"].(map[string]any)
				checkSubset(t, "payload after refresh", values, p)
				handle, _ := in.body["handle"].(string)
				info, err := e.sessions.GetSessionInfo(t.Context(), handle)
				if err != nil {
					t.Fatal(err)
				}
				checkSubset(t, "GetSessionInfo data", mergeMaps(values, bigData), info.Data)
			})
		}
	})
}

func mergeMaps(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// checkSubset asserts every key of want comes back with an identical value
// (compared after a JSON round trip, so strings compare byte for byte).
func checkSubset(t *testing.T, what string, want, got map[string]any) {
	t.Helper()
	norm := func(v any) any {
		b, _ := json.Marshal(v)
		var out any
		json.Unmarshal(b, &out)
		return out
	}
	for k, v := range want {
		if !reflect.DeepEqual(norm(v), norm(got[k])) {
			g, _ := json.Marshal(got[k])
			w, _ := json.Marshal(v)
			if len(g) > 80 {
				g = append(g[:80], "..."...)
			}
			if len(w) > 80 {
				w = append(w[:80], "..."...)
			}
			t.Errorf("%s[%q] = %s, want %s", what, k, g, w)
		}
	}
}

// SECURITY.md C ("… 10 KB … stored and returned byte-identical, or a clear
// 4xx at creation"), for the access-token payload: a payload too large for
// an access token is refused with a 400 when the session is created or the
// payload changed. Before, ginsession issued tokens over its own 16 KB
// verification limit: the session was created, and every verify answered
// 401 unauthorised, refresh after refresh.
func TestUserInputPayloadTooLargeForAToken(t *testing.T) {
	e := newEnv(t, nil)
	signIn := func(user string, payloadLen int) *resp {
		body, _ := json.Marshal(map[string]any{"user": user, "payload": map[string]any{"big": strings.Repeat("x", payloadLen)}})
		return sendRaw(t, e.server.URL, "POST", "/signin", string(body), "st-auth-mode", "header")
	}
	for _, n := range []int{10 << 10, 12 << 10, 64 << 10} {
		r := signIn("big-payload", n)
		if r.status != 400 || r.header.Get("st-access-token") != "" || r.header.Get("front-token") != "" {
			t.Errorf("payload of %d bytes: %d %.80s, want a clear 400", n, r.status, r.raw)
		}
	}
	// The longest user id, all control characters (six bytes each in
	// JSON), with a payload just under the limit: the token would still be
	// too long, and no session is left behind.
	odd := strings.Repeat("\x01", 1024)
	if r := signIn(odd, 8<<10-20); r.status != 400 {
		t.Errorf("oversized token: %d %s, want 400", r.status, r.raw)
	}
	for _, u := range []string{"big-payload", odd} {
		if list, _ := e.sessions.ListSessions(t.Context(), u); len(list) != 0 {
			t.Errorf("%d sessions stored for refused sign-ins", len(list))
		}
	}
	// Just under the limit works in full.
	c := e.newClient("header")
	body, _ := json.Marshal(map[string]any{"user": "u", "payload": map[string]any{"big": strings.Repeat("x", 8<<10-20)}})
	in := c.do("POST", "/signin", string(body))
	expectStatus(t, in, 200, "")
	handle, _ := in.body["handle"].(string)
	expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
	// Growing it past the limit is refused, and the session keeps working.
	r := c.do("POST", "/api/merge", `{"more":"`+strings.Repeat("y", 1<<10)+`"}`)
	if r.status != 400 || r.header.Get("front-token") != "" {
		t.Errorf("MergePayload past the limit: %d (front-token %t), want 400", r.status, r.header.Get("front-token") != "")
	}
	if err := e.sessions.MergeIntoPayload(t.Context(), handle, map[string]any{"more": strings.Repeat("y", 1<<10)}); !errors.Is(err, ginsession.ErrInvalidInput) {
		t.Errorf("MergeIntoPayload past the limit: %v", err)
	}
	expectStatus(t, c.do("GET", "/api/checked", ""), 200, "")
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
	expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
}
