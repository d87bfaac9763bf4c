package ginsession_test

// JOSE strictness of access-token verification. Every token here carries a
// genuine signature by the engine's live key (forger.signRaw signs the
// exact header and payload texts), so a refusal proves the check under test
// and not a signature failure; and every refusal is "a token, but not
// valid" (401 try refresh token), not "not a token".

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// joseHeader is the header ginsession issues, as JSON text.
func (f *forger) joseHeader() string {
	return `{"alg":"` + f.alg + `","kid":"` + f.kid + `","typ":"JWT"}`
}

// josePayload is a genuine payload as JSON text with extra members spliced
// in before the closing brace (extra starts with a comma, or is empty).
func (f *forger) josePayload(extra string) string {
	now := f.e.clock.Now()
	return f.josePayloadAt(now.Unix(), now.Add(time.Hour).Unix(), extra)
}

func (f *forger) josePayloadAt(iat, exp any, extra string) string {
	num := func(v any) string {
		if s, ok := v.(string); ok {
			return s // raw JSON number text
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	return `{"exp":` + num(exp) + `,"iat":` + num(iat) + `,"iss":"` + f.issuer() + `","sessionHandle":"` + f.handle + `","sub":"` + f.user + `"` + extra + `}`
}

// A JWS header with a "crit" member names extensions we must understand
// (RFC 7515 §4.1.11); we understand none, so any crit is refused.
func TestJOSECritRefused(t *testing.T) {
	f := newForger(t, nil)
	base := strings.TrimSuffix(f.joseHeader(), "}")
	for name, crit := range map[string]string{
		"crit b64":               `,"b64":false,"crit":["b64"]`,
		"crit exp":               `,"exp":1,"crit":["exp"]`,
		"crit naming kid":        `,"crit":["kid"]`,
		"crit of an unknown one": `,"x-ext":1,"crit":["x-ext"]`,
		"crit empty":             `,"crit":[]`,
		"crit null":              `,"crit":null`,
		"crit a string":          `,"crit":"b64"`,
		"crit first":             `,"crit":["x"],"x":1`,
	} {
		t.Run(name, func(t *testing.T) {
			f.expect(t, f.signRaw(t, base+crit+"}", f.josePayload("")), msgTryRefresh)
		})
	}
	// The same header without crit is fine: the refusal is crit's.
	t.Run("control: unknown member without crit", func(t *testing.T) {
		f.expectOK(t, f.signRaw(t, base+`,"x-ext":1}`, f.josePayload("")))
	})
}

// Duplicate member names: encoding/json keeps the last silently, so two
// readers of one token could see two different tokens.
func TestJOSEDuplicateMembersRefused(t *testing.T) {
	f := newForger(t, nil)
	hdr := f.joseHeader()
	pl := f.josePayload
	headers := map[string]string{
		"header: kid twice, same value":   strings.TrimSuffix(hdr, "}") + `,"kid":"` + f.kid + `"}`,
		"header: typ twice":               strings.TrimSuffix(hdr, "}") + `,"typ":"JWT"}`,
		"header: alg twice":               `{"alg":"` + f.alg + `",` + hdr[1:],
		"header: kid escaped twice":       strings.TrimSuffix(hdr, "}") + `,"\u006bid":"` + f.kid + `"}`,
		"header: nested object duplicate": strings.TrimSuffix(hdr, "}") + `,"x":{"a":1,"a":1}}`,
	}
	for name, h := range headers {
		t.Run(name, func(t *testing.T) { f.expect(t, f.signRaw(t, h, pl("")), msgTryRefresh) })
	}
	payloads := map[string]string{
		"payload: sub twice":                   pl(`,"sub":"` + f.user + `"`),
		"payload: sub of another user first":   strings.Replace(pl(""), `{`, `{"sub":"attacker",`, 1),
		"payload: sessionHandle twice":         pl(`,"sessionHandle":"` + f.handle + `"`),
		"payload: exp twice":                   pl(`,"exp":` + jsonString(f.e.clock.Now().Add(time.Minute).Unix())),
		"payload: app claim twice":             pl(`,"role":"user","role":"admin"`),
		"payload: escaped spelling of sub":     pl(`,"\u0073ub":"` + f.user + `"`),
		"payload: nested object":               pl(`,"perm":{"read":true,"read":false}`),
		"payload: object in an array":          pl(`,"list":[1,{"a":1,"b":2,"a":3}]`),
		"payload: deep":                        pl(`,"a":{"b":[{"c":{"d":1,"e":{},"d":2}}]}`),
		"payload: after a nested object":       pl(`,"o":{"x":1},"o":{"x":1}`),
		"payload: invalid UTF-8 folds to same": pl(`,"k` + "\xff" + `":1,"k` + "\xfe" + `":2`),
	}
	for name, p := range payloads {
		t.Run(name, func(t *testing.T) { f.expect(t, f.signRaw(t, hdr, p), msgTryRefresh) })
	}
	// Equal names in different objects, or in sibling array elements, are
	// not duplicates.
	for name, p := range map[string]string{
		"control: one name in sibling objects":       pl(`,"a":{"x":1,"y":{"x":2}},"b":{"x":1}`),
		"control: one name in array elements":        pl(`,"l":[{"x":1},{"x":2},[{"x":3}]]`),
		"control: a name equal to a value":           pl(`,"a":"b","b":"a","c":["c","c"]`),
		"control: top-level name reused when nested": pl(`,"n":{"sub":"x","iat":1,"n":{"n":null}}`),
	} {
		t.Run(name, func(t *testing.T) { f.expectOK(t, f.signRaw(t, hdr, p)) })
	}
}

// Anything after the header or payload object is refused: golang-jwt
// decodes the payload with a json.Decoder (WithJSONNumber), which stops at
// the end of the first value, and json.Unmarshal allows trailing space.
func TestJOSETrailingBytesRefused(t *testing.T) {
	f := newForger(t, nil)
	hdr, pl := f.joseHeader(), f.josePayload("")
	for name, tc := range map[string][2]string{
		"payload + space":            {hdr, pl + " "},
		"payload + newline":          {hdr, pl + "\n"},
		"payload + second object":    {hdr, pl + `{"sub":"attacker"}`},
		"payload + junk":             {hdr, pl + "junk"},
		"payload + closing bracket":  {hdr, pl + "]"},
		"payload + NUL":              {hdr, pl + "\x00"},
		"payload with leading space": {hdr, " " + pl},
		"header + space":             {hdr + " ", pl},
		"header + tab":               {hdr + "\t", pl},
		"header + second object":     {hdr + `{"kid":"other"}`, pl},
	} {
		t.Run(name, func(t *testing.T) { f.expect(t, f.signRaw(t, tc[0], tc[1]), msgTryRefresh) })
	}
	t.Run("control: exact objects", func(t *testing.T) { f.expectOK(t, f.signRaw(t, hdr, pl)) })
}

// iat must be a sane NumericDate: not negative, not after exp, not huge
// (golang-jwt turns 1e300 into a time by an int64 conversion that, by
// platform, lands in the far past, which the future check lets through).
func TestJOSEIssuedAtRefused(t *testing.T) {
	f := newForger(t, nil)
	now := f.e.clock.Now().Unix()
	hour := now + 3600
	for name, tc := range map[string][2]any{
		"iat -1":                            {int64(-1), hour},
		"iat -0.5":                          {-0.5, hour},
		"iat -1e10":                         {"-1e10", hour},
		"iat -1e300":                        {"-1e300", hour},
		"iat after exp (both near now)":     {now + 45, now + 30},
		"iat one second after exp":          {now + 31, now + 30},
		"iat 1e300":                         {"1e300", hour},
		"iat 1e19":                          {"1e19", hour},
		"iat 9.3e18":                        {"9.3e18", hour},
		"iat max int64":                     {"9223372036854775807", hour},
		"iat 1e400 (beyond float64)":        {"1e400", hour},
		"iat a minute and a second ahead":   {now + 61, hour},
		"iat far future, exp even farther?": {"253402300800", hour},
	} {
		t.Run(name, func(t *testing.T) {
			f.expect(t, f.signRaw(t, f.joseHeader(), f.josePayloadAt(tc[0], tc[1], "")), msgTryRefresh)
		})
	}
	for name, tc := range map[string][2]any{
		"control: iat now":                {now, hour},
		"control: iat equal to exp":       {now + 30, now + 30},
		"control: iat 30 s ahead (skew)":  {now + 30, hour},
		"control: iat fractional":         {float64(now) - 0.25, hour},
		"control: iat 0":                  {int64(0), hour},
		"control: iat an hour ago, fresh": {now - 3600, now + 60},
	} {
		t.Run(name, func(t *testing.T) {
			f.expectOK(t, f.signRaw(t, f.joseHeader(), f.josePayloadAt(tc[0], tc[1], "")))
		})
	}
}

// Tokens ginsession mints still verify, whatever the app's payload nests.
func TestJOSEMintedTokensVerify(t *testing.T) {
	f := newForger(t, nil)
	payload := `{"role":"admin","nested":{"a":[1,{"b":{"c":[]}},[2,[3,{"a":1}]]],"e":{},"a2":{"a":{"a":"a"}}},` +
		`"list":[[],[{}],{"x":1},{"x":2}],"s":"x","n":null,"f":1.5,"big":12345678901234,"t":true,"u":"\u00e9\u2028"}`
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			tk, _ := rawSignIn(t, f.e.server.URL, mode, "nester", payload)
			r := sendWithToken(t, f.e.server.URL, mode, "GET", "/api/me", "sAccessToken", tk.access)
			expectStatus(t, r, 200, "")
			got, _ := r.body["payload"].(map[string]any)
			var want map[string]any
			if err := json.Unmarshal([]byte(payload), &want); err != nil {
				t.Fatal(err)
			}
			for k, v := range want {
				gb, _ := json.Marshal(got[k])
				wb, _ := json.Marshal(v)
				if string(gb) != string(wb) {
					t.Errorf("payload %s = %s, want %s", k, gb, wb)
				}
			}
			// A token re-minted from the stored payload by a merge verifies.
			auth := []string{"Authorization", "Bearer " + tk.access}
			if mode == "cookie" {
				auth = []string{"Cookie", "sAccessToken=" + tk.access}
			}
			m := sendRaw(t, f.e.server.URL, "POST", "/api/merge", `{"more":{"k":[{"k":{"k":1}}]},"role":"user"}`,
				append([]string{"st-auth-mode", mode, "rid", "anti-csrf"}, auth...)...)
			expectStatus(t, m, 200, "")
			merged := tokensIn(t, m, mode)
			r = sendWithToken(t, f.e.server.URL, mode, "GET", "/api/me", "sAccessToken", merged.access)
			expectStatus(t, r, 200, "")
			if p, _ := r.body["payload"].(map[string]any); p["role"] != "user" || p["more"] == nil || p["nested"] == nil {
				t.Errorf("merged payload %v", p)
			}
		})
	}
	// The genuine sign-in token and one the fixture signs like accesstoken.Tokens.Mint.
	f.expectOK(t, f.access)
	claims := f.claims()
	claims["deep"] = map[string]any{"x": []any{map[string]any{"x": 1}, []any{}}, "y": map[string]any{}}
	f.expectOK(t, f.sign(t, f.header(), claims))
}
