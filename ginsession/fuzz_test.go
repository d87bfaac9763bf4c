package ginsession

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzParseRefresh: any input is either rejected or a token that encodes
// back to exactly the input; nothing panics, and a one-character change to
// a genuine token is always rejected.
func FuzzParseRefresh(f *testing.F) {
	rk := newRefreshKeys([]byte("fuzz secret, fuzz secret, fuzz!!"))
	h, _ := newHandle()
	good, _ := rk.newRefresh(h)
	f.Add(good.String())
	f.Add(rk.child(good).String())
	f.Add("")
	f.Add(strings.Repeat("A", refreshTokenLen))
	f.Add(strings.Repeat("=", 200))
	f.Fuzz(func(t *testing.T, s string) {
		tok, ok := rk.parseRefresh(s)
		if !ok {
			return
		}
		if tok.String() != s {
			t.Fatalf("accepted %q but it encodes as %q", s, tok.String())
		}
		if tok.handle == "" || tok.generation < 0 {
			t.Fatalf("accepted token without handle/generation: %+v", tok)
		}
	})
}

func TestRefreshTokenTamperAlwaysRejected(t *testing.T) {
	rk := newRefreshKeys([]byte("another secret, another secret!!"))
	h, _ := newHandle()
	tok, _ := rk.newRefresh(h)
	s := tok.String()
	if _, ok := rk.parseRefresh(s); !ok {
		t.Fatal("genuine token rejected")
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(s); i++ {
		for _, r := range []byte{alphabet[0], alphabet[len(alphabet)-1], alphabet[30]} {
			if s[i] == r {
				continue
			}
			m := s[:i] + string(r) + s[i+1:]
			if _, ok := rk.parseRefresh(m); ok {
				// The last character carries padding bits that strict
				// decoding refuses; anything accepted must be the same bytes.
				t.Fatalf("tampered token accepted at position %d", i)
			}
		}
	}
	other := newRefreshKeys([]byte("a different secret entirely!!!!!"))
	if _, ok := other.parseRefresh(s); ok {
		t.Fatal("token accepted under another server key")
	}
	child := rk.child(tok)
	if child.handle != tok.handle || child.generation != tok.generation+1 || rk.child(tok).String() != child.String() {
		t.Fatal("child derivation is not deterministic or breaks the lineage")
	}
}

// FuzzWellFormed: the pre-parse shape check never panics and never accepts
// anything over the cap or outside the base64url alphabet.
func FuzzWellFormed(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln")
	f.Add("a.b")
	f.Add("a.b.c.d")
	f.Add(strings.Repeat(".", 10000))
	f.Add("a\x00.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		if !wellFormed(s) {
			return
		}
		if len(s) > maxTokenLen || strings.Count(s, ".") != 2 {
			t.Fatalf("accepted %q", s)
		}
		for _, part := range strings.Split(s, ".") {
			if part == "" || strings.Trim(part, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
				t.Fatalf("accepted segment %q", part)
			}
		}
	})
}

// FuzzCookieDomain: whatever ValidateCookieDomain accepts is a lower-case
// dotted host name that is not a public suffix, an IP or localhost.
func FuzzCookieDomain(f *testing.F) {
	for _, s := range []string{".example.com", "example.com", "com", "co.uk", "github.io", "127.0.0.1", "localhost", "a;b.com", "exa mple.com", "example.com:80", "https://example.com", "[::1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ValidateCookieDomain(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(d, ".") || strings.ToLower(d) != d || strings.ContainsAny(d, ":;/ [],") {
			t.Fatalf("%q accepted as %q", s, d)
		}
		if siteOf(d[1:]) == "localhost" {
			t.Fatalf("%q accepted but is local", s)
		}
	})
}

// FuzzOriginFor: the origin function only ever returns configured values.
func FuzzOriginFor(f *testing.F) {
	s, err := newSettings(Config{
		Store:     nopStore{},
		APIDomain: "https://api.example.com",
		Origins:   []string{"https://app.example.com", "http://localhost:3000"},
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, o := range []string{"https://evil.test", "null", "", "https://app.example.com.evil.test", "http://app.example.com", "https://app.example.com:444", "https://app.example.com\r\nX: y"} {
		f.Add(o)
	}
	f.Fuzz(func(t *testing.T, origin string) {
		r, _ := http.NewRequest("GET", "https://api.example.com/", nil)
		r.Header["Origin"] = []string{origin}
		got := s.originFor(r)
		if _, ok := s.origins[got]; !ok {
			t.Fatalf("origin %q resolved to unconfigured %q", origin, got)
		}
		if got != origin && got != s.website {
			t.Fatalf("origin %q resolved to %q", origin, got)
		}
	})
}
