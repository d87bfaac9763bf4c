package ginsession_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

func TestMergePayloadReissuesOnThisResponse(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			c.do("POST", "/signin", `{"user":"u","payload":{"plan":"free","drop":1}}`)
			before := c.access + c.cookie("sAccessToken", "/")
			r := c.do("POST", "/api/merge", `{"plan":"pro","drop":null,"n":3}`)
			expectStatus(t, r, 200, "")
			front := decodeFront(t, r.header.Get("front-token"))
			up, _ := front["up"].(map[string]any)
			if up["plan"] != "pro" || up["n"] != float64(3) {
				t.Fatalf("front-token up after merge: %v", up)
			}
			if _, ok := up["drop"]; ok {
				t.Fatal("nil value did not remove the key")
			}
			after := c.access + c.cookie("sAccessToken", "/")
			if after == before {
				t.Fatal("merge did not issue a new access token")
			}
			if mode == "cookie" && findCookie(r.header, "sRefreshToken") != nil {
				t.Fatal("merge touched the refresh token")
			}
			me := c.do("GET", "/api/me", "")
			if p, _ := me.body["payload"].(map[string]any); p["plan"] != "pro" {
				t.Fatalf("new token not used: %v", me.body)
			}
			// The stored payload survives a refresh.
			e.clock.Advance(2 * time.Hour)
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
			me = c.do("GET", "/api/me", "")
			if p, _ := me.body["payload"].(map[string]any); p["plan"] != "pro" || p["n"] != float64(3) {
				t.Fatalf("payload lost at refresh: %v", me.body)
			}
		})
	}
}

func TestMergePayloadRefusesProtectedClaims(t *testing.T) {
	e := newEnv(t, nil)
	c := e.newClient("header")
	c.signIn("u")
	for _, key := range []string{"sub", "exp", "iat", "sessionHandle", "iss"} {
		r := c.do("POST", "/api/merge", `{"`+key+`":"evil"}`)
		expectStatus(t, r, 400, "")
		if r.header.Get("front-token") != "" {
			t.Fatalf("%s: refused merge still issued a token", key)
		}
	}
	me := c.do("GET", "/api/me", "")
	if me.body["userId"] != "u" {
		t.Fatalf("identity changed: %v", me.body)
	}
	// Creation refuses them too.
	r := c.do("POST", "/signin", `{"user":"u","payload":{"sub":"admin"}}`)
	expectStatus(t, r, 400, "")
}

func TestSessionDataAndInfo(t *testing.T) {
	e := newEnv(t, nil)
	s := e.sessions
	e.router.GET("/api/data", s.Verify(), func(c *gin.Context) {
		sess := ginsession.FromContext(c)
		data, err := sess.Data(c)
		if err != nil {
			s.HandleError(c, err)
			return
		}
		created, err := sess.TimeCreated(c)
		if err != nil {
			s.HandleError(c, err)
			return
		}
		expiry, err := sess.Expiry(c)
		if err != nil {
			s.HandleError(c, err)
			return
		}
		c.JSON(200, gin.H{"data": data, "created": created.Unix(), "expiry": expiry.Unix()})
	})
	e.router.POST("/api/data", s.Verify(), func(c *gin.Context) {
		var in map[string]any
		_ = c.BindJSON(&in)
		if err := ginsession.FromContext(c).UpdateData(c, in); err != nil {
			s.HandleError(c, err)
			return
		}
		c.JSON(200, gin.H{})
	})
	c := e.newClient("cookie")
	created := e.clock.Now()
	c.do("POST", "/signin", `{"user":"u","data":{"cart":["apple"]}}`)
	r := c.do("GET", "/api/data", "")
	expectStatus(t, r, 200, "")
	if d, _ := r.body["data"].(map[string]any); d["cart"] == nil {
		t.Fatalf("data %v", r.body)
	}
	if r.body["created"] != float64(created.Unix()) || r.body["expiry"] != float64(created.Add(100*24*time.Hour).Unix()) {
		t.Fatalf("created/expiry %v", r.body)
	}
	expectStatus(t, c.do("POST", "/api/data", `{"cart":["apple","pear"],"emoji":"🍐","quote":"' OR 1=1 --"}`), 200, "")
	r = c.do("GET", "/api/data", "")
	d, _ := r.body["data"].(map[string]any)
	if d["emoji"] != "🍐" || d["quote"] != "' OR 1=1 --" || len(d["cart"].([]any)) != 2 {
		t.Fatalf("data after update %v", d)
	}
	// Data never reaches the frontend.
	if up := decodeFront(t, c.front)["up"].(map[string]any); up["cart"] != nil {
		t.Fatal("session data leaked into the access token")
	}
	// The session vanishes between verify and the handler's data call:
	// unauthorised with the tokens cleared, never a bare 500.
	me := c.do("GET", "/api/me", "")
	if _, err := e.sessions.RevokeSession(t.Context(), me.body["handle"].(string)); err != nil {
		t.Fatal(err)
	}
	r = c.do("GET", "/api/data", "")
	expectStatus(t, r, 401, "unauthorised")
	if r.header.Get("front-token") != "remove" {
		t.Fatal("vanished session not removed from the frontend")
	}
}

func TestSessionRevokeFromHandler(t *testing.T) {
	e := newEnv(t, nil)
	e.router.POST("/api/revoke", e.sessions.Verify(), func(c *gin.Context) {
		if err := ginsession.FromContext(c).Revoke(c); err != nil {
			e.sessions.HandleError(c, err)
			return
		}
		c.JSON(200, gin.H{"revoked": true})
	})
	for _, mode := range modes {
		c := e.newClient(mode)
		handle := c.signIn("u").body["handle"].(string)
		r := c.do("POST", "/api/revoke", "")
		expectStatus(t, r, 200, "")
		if r.header.Get("front-token") != "remove" {
			t.Fatalf("%s: revoke did not remove the frontend session", mode)
		}
		if _, err := e.sessions.GetSessionInfo(t.Context(), handle); !errors.Is(err, ginsession.ErrSessionNotFound) {
			t.Fatalf("%s: session still there: %v", mode, err)
		}
		expectStatus(t, c.do("GET", "/api/checked", ""), 401, "")
	}
}

func TestManagerAPI(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	s := e.sessions
	var handles []string
	clients := []*client{}
	for i := 0; i < 3; i++ {
		c := e.newClient("header")
		handles = append(handles, c.signIn("alice").body["handle"].(string))
		clients = append(clients, c)
		e.clock.Advance(time.Second)
	}
	bob := e.newClient("header")
	bobHandle := bob.signIn("bob").body["handle"].(string)

	list, err := s.ListSessions(ctx, "alice")
	if err != nil || len(list) != 3 {
		t.Fatalf("ListSessions: %v %d", err, len(list))
	}
	for i, info := range list {
		if info.Handle != handles[i] || info.UserID != "alice" {
			t.Fatalf("list[%d] = %+v, want handle %s oldest first", i, info, handles[i])
		}
	}

	// Update data and payload by handle.
	if err := s.UpdateSessionData(ctx, handles[0], map[string]any{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if err := s.MergeIntoPayload(ctx, handles[0], map[string]any{"role": "admin"}); err != nil {
		t.Fatal(err)
	}
	info, err := s.GetSessionInfo(ctx, handles[0])
	if err != nil || info.Data["k"] != "v" || info.Payload["role"] != "admin" {
		t.Fatalf("info after updates: %+v %v", info, err)
	}
	// Database-checked routes see the new payload at once; the token
	// itself gets it at the next refresh.
	r := clients[0].do("GET", "/api/checked", "")
	if p, _ := r.body["payload"].(map[string]any); p["role"] != "admin" {
		t.Fatalf("checked route payload: %v", r.body)
	}
	r = clients[0].do("GET", "/api/me", "")
	if p, _ := r.body["payload"].(map[string]any); p["role"] != nil {
		t.Fatalf("unchecked route saw the update before a refresh: %v", r.body)
	}
	expectStatus(t, clients[0].do("POST", "/auth/session/refresh", ""), 200, "")
	r = clients[0].do("GET", "/api/me", "")
	if p, _ := r.body["payload"].(map[string]any); p["role"] != "admin" {
		t.Fatalf("refreshed token lacks the update: %v", r.body)
	}
	if err := s.MergeIntoPayload(ctx, handles[0], map[string]any{"exp": 1}); !errors.Is(err, ginsession.ErrInvalidInput) {
		t.Fatalf("protected claim by handle: %v", err)
	}

	// Revoke one.
	ok, err := s.RevokeSession(ctx, handles[1])
	if err != nil || !ok {
		t.Fatalf("RevokeSession: %v %v", ok, err)
	}
	if ok, _ := s.RevokeSession(ctx, handles[1]); ok {
		t.Fatal("second revoke reported a removal")
	}
	expectStatus(t, clients[1].do("POST", "/auth/session/refresh", ""), 401, "unauthorised")

	// Revoke all of alice's; bob is untouched.
	gone, err := s.RevokeAllSessions(ctx, "alice")
	if err != nil || len(gone) != 2 {
		t.Fatalf("RevokeAllSessions: %v %v", gone, err)
	}
	for _, c := range clients {
		expectStatus(t, c.do("GET", "/api/checked", ""), 401, "unauthorised")
	}
	if _, err := s.GetSessionInfo(ctx, bobHandle); err != nil {
		t.Fatalf("bob's session affected: %v", err)
	}
	if err := s.UpdateSessionData(ctx, handles[0], nil); !errors.Is(err, ginsession.ErrSessionNotFound) {
		t.Fatalf("update on a revoked session: %v", err)
	}
	if _, err := s.GetSessionInfo(ctx, "no-such-handle"); !errors.Is(err, ginsession.ErrSessionNotFound) {
		t.Fatalf("unknown handle: %v", err)
	}
	if n := e.events.count(&e.events.revoked); n != 3 {
		t.Fatalf("revoked hook ran %d times, want 3", n)
	}
}

func TestCreateRejectsBadInput(t *testing.T) {
	e := newEnv(t, nil)
	c := e.newClient("header")
	long := make([]byte, 2000)
	for i := range long {
		long[i] = 'a'
	}
	for name, body := range map[string]string{
		"empty user":  `{"user":""}`,
		"NUL in user": `{"user":"a\u0000b"}`,
		"long user":   `{"user":"` + string(long) + `"}`,
		"protected":   `{"user":"u","payload":{"sessionHandle":"x"}}`,
	} {
		r := c.do("POST", "/signin", body)
		if r.status != 400 || r.header.Get("front-token") != "" || c.access != "" {
			t.Errorf("%s: status %d front-token %q", name, r.status, r.header.Get("front-token"))
		}
	}
	list, _ := e.sessions.ListSessions(t.Context(), "u")
	if len(list) != 0 {
		t.Fatalf("bad input created %d sessions", len(list))
	}
	// Unusual but valid ids round-trip byte-identical.
	for _, id := range []string{"' OR 1=1 --", "🙂 user", "ünïcödé"} {
		c := e.newClient("header")
		r := c.do("POST", "/signin", `{"user":"`+id+`"}`)
		expectStatus(t, r, 200, "")
		me := c.do("GET", "/api/me", "")
		if me.body["userId"] != id {
			t.Fatalf("user id %q came back as %q", id, me.body["userId"])
		}
		if decodeFront(t, r.header.Get("front-token"))["uid"] != id {
			t.Fatalf("front-token uid for %q", id)
		}
	}
}
