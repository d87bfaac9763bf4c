package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// bodyAnswer is the server's answer to sendBody.
type bodyAnswer struct {
	status  int
	header  http.Header
	message string // the JSON answer's message, else the raw answer
	close   bool   // Connection: close (the client removes it from header)
}

// sendBody posts body to path, with a Content-Length or, chunked, without
// one, and the SDK's headers plus extra.
func sendBody(t *testing.T, base, path string, body []byte, chunked bool, extra ...string) bodyAnswer {
	t.Helper()
	var rd io.Reader = bytes.NewReader(body)
	if chunked {
		rd = io.MultiReader(rd) // a reader of unknown length
	}
	req, err := http.NewRequest(http.MethodPost, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if chunked {
		req.ContentLength = -1 // sent with Transfer-Encoding: chunked
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("rid", "anti-csrf")
	req.Header.Set("st-auth-mode", "header")
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var answer struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(raw, &answer)
	if answer.Message == "" {
		answer.Message = string(raw)
	}
	return bodyAnswer{resp.StatusCode, resp.Header, answer.Message, resp.Close}
}

// padded returns the JSON text js followed by spaces up to size bytes:
// still one JSON value, and the whole of it must be read to see its end.
func padded(js string, size int) []byte {
	return append([]byte(js), bytes.Repeat([]byte(" "), size-len(js))...)
}

// Every route of the example that reads a body refuses one of
// maxBodyBytes+1 bytes with 413, whether it declares its length or comes
// chunked, and accepts one of maxBodyBytes; a refused body changes nothing
// on the server (no user, note, cart or session).
func TestBodyLimitEveryBodyRoute(t *testing.T) {
	app, base := startApp(t, Options{})
	owner := newClient(t, base, "header")
	wantField(t, "signup", owner.signUp("owner@example.com", "owner password"), "status", "OK")

	n := 0
	routes := []struct {
		path   string
		body   func() string // a body the route accepts
		status int           // its answer to it
		auth   bool          // sent with owner's access token
	}{
		{"/signup", func() string {
			n++
			return fmt.Sprintf(`{"email":"user%d@example.com","password":"a good password"}`, n)
		}, http.StatusOK, false},
		{"/signin", func() string { return `{"email":"owner@example.com","password":"owner password"}` }, http.StatusOK, false},
		{"/cart", func() string { return `{"item":"apple"}` }, http.StatusCreated, false},
		{"/api/notes", func() string { return `{"text":"a note"}` }, http.StatusCreated, true},
	}
	// What a request could change: users, notes, sessions.
	state := func() string {
		var users, notes int64
		app.db.Model(&user{}).Count(&users)
		app.db.Model(&note{}).Count(&notes)
		ev := app.stats.snapshot()["events"].(map[string]int)
		return fmt.Sprintf("users %d, notes %d, sessions created %d", users, notes, ev["created"])
	}

	for _, rt := range routes {
		for _, chunked := range []bool{false, true} {
			name := fmt.Sprintf("%s chunked=%v", rt.path, chunked)
			var extra []string
			if rt.auth {
				extra = []string{"Authorization", "Bearer " + owner.access}
			}

			r := sendBody(t, base, rt.path, padded(rt.body(), maxBodyBytes), chunked, extra...)
			if r.status != rt.status {
				t.Errorf("%s, %d bytes: status %d (%s), want %d", name, maxBodyBytes, r.status, r.message, rt.status)
			}
			if r.close {
				t.Errorf("%s, %d bytes: Connection: close on an accepted body", name, maxBodyBytes)
			}

			before := state()
			r = sendBody(t, base, rt.path, padded(rt.body(), maxBodyBytes+1), chunked, extra...)
			if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.message, "request body too large") {
				t.Errorf("%s, %d bytes: status %d (%s), want 413 request body too large", name, maxBodyBytes+1, r.status, r.message)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("%s, %d bytes: Content-Type %q", name, maxBodyBytes+1, ct)
			}
			if !r.close {
				t.Errorf("%s, %d bytes: the server keeps the connection (no Connection: close)", name, maxBodyBytes+1)
			}
			if h := r.header; len(h.Values("Set-Cookie")) > 0 || h.Get("st-access-token") != "" || h.Get("front-token") != "" {
				t.Errorf("%s, %d bytes: refused body answered with session tokens: %v", name, maxBodyBytes+1, h)
			}
			if after := state(); after != before {
				t.Errorf("%s, %d bytes: refused body changed the server: %s, then %s", name, maxBodyBytes+1, before, after)
			}
		}
	}
}

// A body declaring more than the limit is refused before any of it is read,
// on every route the example has (the limit is in front of all of them, not
// only those that read a body): the request is sent without its body, and
// the 413 must come anyway.
func TestBodyLimitDeclaredOversizeUnread(t *testing.T) {
	app, base := startApp(t, Options{TestHooks: true})
	host := strings.TrimPrefix(base, "http://")
	routes := app.engine.Routes()
	if len(routes) < 10 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, rt := range routes {
		path := strings.ReplaceAll(rt.Path, ":handle", "some-handle")
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
			rt.Method, path, host, 200<<20)
		resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: rt.Method})
		if err != nil {
			t.Errorf("%s %s with a declared 200 MiB body and none sent: %v", rt.Method, path, err)
			conn.Close()
			continue
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 100))
		resp.Body.Close()
		conn.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close || !strings.Contains(string(raw), "request body too large") {
			t.Errorf("%s %s: %d, close %v, %s; want 413 request body too large, Connection: close",
				rt.Method, path, resp.StatusCode, resp.Close, raw)
		}
	}
}
