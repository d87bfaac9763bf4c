package ginsession_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// The HTTP half of the test harness: raw requests written header by header
// (no cookie jar), in-process requests, reading tokens and cookies out of
// responses, and the assertions on status, body and what a response did to
// the frontend's tokens.

const refreshPath = "/auth/session/refresh"

// plainHTTP has no cookie jar and does not follow redirects: every header a
// test sends is written by the test.
var plainHTTP = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// sendRaw sends one request to base+path. hdr are name/value pairs, added in
// order (so a name may repeat).
func sendRaw(t *testing.T, base, method, path, body string, hdr ...string) *resp {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	out, err := roundTrip(plainHTTP, req)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// roundTrip sends req with hc and reads the whole response (the body also
// decoded as JSON, when it is).
func roundTrip(hc *http.Client, req *http.Request) (*resp, error) {
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &resp{status: res.StatusCode, raw: string(raw), header: res.Header}
	_ = json.Unmarshal(raw, &out.body)
	return out, nil
}

// issuedTokens are the tokens a raw sign-in or refresh handed out.
type issuedTokens struct {
	access, refresh, csrf, front, handle string
}

// tokensIn reads the tokens of a response in the given mode.
func tokensIn(t *testing.T, r *resp, mode string) issuedTokens {
	t.Helper()
	tk := issuedTokens{csrf: r.header.Get("anti-csrf"), front: r.header.Get("front-token")}
	tk.handle, _ = r.body["handle"].(string)
	if mode == "cookie" {
		for _, ck := range setCookies(r.header) {
			switch {
			case ck.Name == "sAccessToken" && ck.Value != "":
				tk.access = ck.Value
			case ck.Name == "sRefreshToken" && ck.Value != "":
				tk.refresh = ck.Value
			}
		}
	} else {
		tk.access = r.header.Get("st-access-token")
		tk.refresh = r.header.Get("st-refresh-token")
	}
	if tk.access == "" {
		t.Fatalf("%s mode: no access token in response (headers %v)", mode, r.header)
	}
	return tk
}

// rawSignIn signs user in with a raw request; payload is a JSON object or "".
func rawSignIn(t *testing.T, base, mode, user, payload string, hdr ...string) (issuedTokens, *resp) {
	t.Helper()
	body := `{"user":"` + user + `"}`
	if payload != "" {
		body = `{"user":"` + user + `","payload":` + payload + `}`
	}
	h := append([]string{"st-auth-mode", mode, "rid", "anti-csrf"}, hdr...)
	r := sendRaw(t, base, "POST", "/signin", body, h...)
	if r.status != 200 {
		t.Fatalf("sign-in: %d %s", r.status, r.raw)
	}
	return tokensIn(t, r, mode), r
}

// sendWithToken sends a request carrying tok the way mode carries it (cookie
// name for cookie mode), with st-auth-mode and rid like the SDK.
func sendWithToken(t *testing.T, base, mode, method, path, cookieName, tok string, hdr ...string) *resp {
	t.Helper()
	rid := "anti-csrf"
	if strings.HasPrefix(path, "/auth/") {
		rid = "session"
	}
	h := []string{"st-auth-mode", mode, "rid", rid}
	if mode == "cookie" {
		h = append(h, "Cookie", cookieName+"="+tok)
	} else {
		h = append(h, "Authorization", "Bearer "+tok)
	}
	return sendRaw(t, base, method, path, "", append(h, hdr...)...)
}

// cookiesNamed returns every Set-Cookie of the response with that name.
func cookiesNamed(h http.Header, name string) []*http.Cookie {
	var out []*http.Cookie
	for _, ck := range setCookies(h) {
		if ck.Name == name {
			out = append(out, ck)
		}
	}
	return out
}

// expectTokensUntouched asserts the response neither set nor cleared any token:
// no Set-Cookie, no front-token (in particular no "front-token: remove"),
// no st-access-token / st-refresh-token.
func expectTokensUntouched(t *testing.T, r *resp) {
	t.Helper()
	if sc := r.header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("response touched cookies: %q", sc)
	}
	if v, ok := r.header["Front-Token"]; ok {
		t.Errorf("response carries front-token %q; it must leave the frontend's session alone", v)
	}
	for _, k := range []string{"St-Access-Token", "St-Refresh-Token", "Anti-Csrf"} {
		if v, ok := r.header[k]; ok {
			t.Errorf("response carries %s %q", k, v)
		}
	}
}

// expectCookiesCleared asserts that both session cookies are cleared: empty
// value, Expires in 1970, the right Path, and Domain (wantDomain "" means a
// host-only cookie: no Domain attribute).
func expectCookiesCleared(t *testing.T, h http.Header, wantDomain string) {
	t.Helper()
	for _, want := range []struct{ name, path string }{{"sAccessToken", "/"}, {"sRefreshToken", refreshPath}} {
		found := false
		for _, ck := range cookiesNamed(h, want.name) {
			if ck.Domain != wantDomain || ck.Value != "" {
				continue
			}
			found = true
			if ck.Path != want.path {
				t.Errorf("clearing %s: Path %q, want %q (%s)", want.name, ck.Path, want.path, ck.Raw)
			}
			if ck.Expires.Unix() != 0 || !strings.Contains(ck.Raw, "Expires=Thu, 01 Jan 1970 00:00:00 GMT") {
				t.Errorf("clearing %s: Expires %v, want 1970-01-01 (%s)", want.name, ck.Expires, ck.Raw)
			}
			if !ck.HttpOnly {
				t.Errorf("clearing %s: not HttpOnly (%s)", want.name, ck.Raw)
			}
		}
		if !found {
			t.Errorf("%s not cleared on domain %q; Set-Cookie: %q", want.name, wantDomain, h.Values("Set-Cookie"))
		}
	}
}

// expectHeadersCleared asserts st-access-token and st-refresh-token are present
// with empty values (the header-mode "clear").
func expectHeadersCleared(t *testing.T, h http.Header) {
	t.Helper()
	for _, k := range []string{"St-Access-Token", "St-Refresh-Token"} {
		v, ok := h[k]
		if !ok || len(v) != 1 || v[0] != "" {
			t.Errorf("%s: %q (present %v), want present and empty", k, v, ok)
		}
	}
}

func expectNoSessionCookies(t *testing.T, h http.Header) {
	t.Helper()
	for _, n := range []string{"sAccessToken", "sRefreshToken"} {
		if cs := cookiesNamed(h, n); len(cs) != 0 {
			t.Errorf("unexpected Set-Cookie for %s: %s", n, cs[0].Raw)
		}
	}
}

func expectNoTokenHeaders(t *testing.T, h http.Header) {
	t.Helper()
	for _, k := range []string{"St-Access-Token", "St-Refresh-Token"} {
		if v, ok := h[k]; ok {
			t.Errorf("unexpected %s header %q", k, v)
		}
	}
}

// expectClearedIn asserts "front-token: remove" and the clearing of tokens in
// mode ("cookie", "header", or "any" for both), and only in that mode.
func expectClearedIn(t *testing.T, r *resp, mode string) {
	t.Helper()
	if got := r.header.Values("Front-Token"); len(got) != 1 || got[0] != "remove" {
		t.Errorf("front-token %q, want exactly \"remove\"", got)
	}
	switch mode {
	case "cookie":
		expectCookiesCleared(t, r.header, "")
		expectNoTokenHeaders(t, r.header)
	case "header":
		expectHeadersCleared(t, r.header)
		expectNoSessionCookies(t, r.header)
	default:
		expectCookiesCleared(t, r.header, "")
		expectHeadersCleared(t, r.header)
	}
}

// expectJSONBody asserts the raw body is exactly this JSON (order-insensitive).
func expectJSONBody(t *testing.T, r *resp, want string) {
	t.Helper()
	var got, exp any
	if err := json.Unmarshal([]byte(r.raw), &got); err != nil {
		t.Fatalf("body %q is not JSON: %v", r.raw, err)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(exp)
	if string(g) != string(w) {
		t.Errorf("body %s, want %s", g, w)
	}
}

// expectStatusAndBody asserts the status and the exact JSON body.
func expectStatusAndBody(t *testing.T, r *resp, status int, body string) {
	t.Helper()
	expectStatus(t, r, status, "")
	expectJSONBody(t, r, body)
}

const (
	bodyUnauthorised = `{"message":"unauthorised"}`
	bodyTryRefresh   = `{"message":"try refresh token"}`
	bodyTheft        = `{"message":"token theft detected"}`
)

// decodeFront decodes a front-token header (standard base64 JSON).
func decodeFront(t *testing.T, v string) map[string]any {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatalf("front-token %q is not standard base64: %v", v, err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("front-token is not JSON: %v", err)
	}
	return out
}

// setCookies returns the response's Set-Cookie headers parsed.
func setCookies(h http.Header) []*http.Cookie {
	return (&http.Response{Header: h}).Cookies()
}

func findCookie(h http.Header, name string) *http.Cookie {
	for _, c := range setCookies(h) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// expectStatus asserts the status and, unless message is "", the body's
// "message".
func expectStatus(t *testing.T, r *resp, status int, message string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d (body %s)", r.status, status, r.raw)
	}
	if message != "" && r.message() != message {
		t.Fatalf("message %q, want %q (body %s)", r.message(), message, r.raw)
	}
}

// cookieHeader joins name=value pairs into one Cookie header value.
func cookieHeader(pairs ...string) string {
	var parts []string
	for i := 0; i+1 < len(pairs); i += 2 {
		parts = append(parts, pairs[i]+"="+pairs[i+1])
	}
	return strings.Join(parts, "; ")
}

// onlySetCookie returns the only Set-Cookie with that name and a value.
func onlySetCookie(t *testing.T, h http.Header, name string) *http.Cookie {
	t.Helper()
	var out *http.Cookie
	for _, ck := range cookiesNamed(h, name) {
		if ck.Value == "" {
			continue
		}
		if out != nil {
			t.Fatalf("two Set-Cookie for %s: %q", name, h.Values("Set-Cookie"))
		}
		out = ck
	}
	if out == nil {
		t.Fatalf("no Set-Cookie for %s: %q", name, h.Values("Set-Cookie"))
	}
	return out
}

// listedExposedHeaders returns the names in Access-Control-Expose-Headers, lower-case,
// with their counts.
func listedExposedHeaders(h http.Header) map[string]int {
	out := map[string]int{}
	for _, line := range h.Values("Access-Control-Expose-Headers") {
		for _, n := range strings.Split(line, ",") {
			if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
				out[n]++
			}
		}
	}
	return out
}

var protocolExposedHeaders = []string{"front-token", "anti-csrf", "st-access-token", "st-refresh-token"}

func expectExposedHeaders(t *testing.T, what string, h http.Header, extra ...string) {
	t.Helper()
	got := listedExposedHeaders(h)
	for _, n := range append(append([]string{}, protocolExposedHeaders...), extra...) {
		if got[n] != 1 {
			t.Errorf("%s: %q listed %d times in Access-Control-Expose-Headers %q", what, n, got[n], h.Values("Access-Control-Expose-Headers"))
		}
	}
	if got["*"] != 0 {
		t.Errorf("%s: Access-Control-Expose-Headers uses *", what)
	}
}

// serveInProcess runs one request through the router in-process (so headers net/http
// would refuse to send, such as NUL or 1 MB values, reach ginsession).
func serveInProcess(h http.Handler, method, path string, hdr http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// heapBytesPerRequest is the heap allocated per request, averaged.
func heapBytesPerRequest(h http.Handler, req *http.Request) uint64 {
	const n = 20
	serve := func() { h.ServeHTTP(httptest.NewRecorder(), req) }
	serve()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		serve()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / n
}

func between(s, start, end string) string {
	i := bytes.Index([]byte(s), []byte(start))
	if i < 0 {
		return ""
	}
	rest := s[i+len(start):]
	j := bytes.Index([]byte(rest), []byte(end))
	if j < 0 {
		return ""
	}
	return rest[:j]
}

// serveWithBearer runs one in-process header-mode request to e with bearer
// as its token ("": none).
func serveWithBearer(e *env, method, path, bearer string) (int, string, http.Header) {
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set("rid", "session")
	req.Header.Set("st-auth-mode", "header")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	w := httptest.NewRecorder()
	e.router.ServeHTTP(w, req)
	return w.Code, w.Body.String(), w.Header()
}
