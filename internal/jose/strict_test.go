package jose

import (
	"encoding/base64"
	"strings"
	"testing"
)

// joseBenchToken is shaped like an access token ginsession issues for a small app
// payload (the signature segment is not looked at).
func joseBenchToken() string {
	enc := base64.RawURLEncoding.EncodeToString
	h := `{"alg":"ES256","kid":"d-1700000000-0123456789abcdef","typ":"JWT"}`
	p := `{"exp":1700003600,"iat":1700000000,"iss":"http://localhost:8080/auth","role":"user","sessionHandle":"0b7c5a52-3d0c-4f5e-9d7a-6a1f2c3b4d5e","sub":"bench-user"}`
	return enc([]byte(h)) + "." + enc([]byte(p)) + ".c2ln"
}

func BenchmarkVerifyStrictSegments(b *testing.B) {
	tok := joseBenchToken()
	if err := StrictSegments(tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := StrictSegments(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// joseObjectCases are JSON texts and whether they are exactly one object
// without duplicate member names.
var joseObjectCases = []struct {
	text string
	ok   bool
}{
	{`{}`, true},
	{`{"a":1}`, true},
	{`{"a":1,"b":{"a":1,"b":[{"a":1},{"a":2}]},"c":[[],{},[{}]]}`, true},
	{`{ "a" : 1 , "b" : [ 1 , 2 ] }`, true}, // white space inside is fine
	{`{"a":"a","b":"a","\"":"\\"}`, true},
	{`{"a":"\u0061","b":"é"}`, true},
	{`{"a":1,"a":1}`, false},
	{`{"a":{"b":1,"b":2}}`, false},
	{`{"a":[{"b":1},{"c":1,"c":1}]}`, false},
	{`{"kid":1,"\u006bid":1}`, false},
	{`{"\u006bid":1,"kid":1}`, false},
	{`{"a\"":1,"a\u0022":1}`, false},
	{"{\"k\xff\":1,\"k\xfe\":1}", false}, // both decode to "k\uFFFD"
	{`{"é":1,"\u00e9":1}`, false},
	{`{"é":1,"e":1}`, true},
	{`{} `, false},
	{" {}", false},
	{"{}\n", false},
	{`{}{}`, false},
	{`{}x`, false},
	{`[]`, false},
	{`"a"`, false},
	{``, false},
	{`{"a":1}]`, false},
}

func manyNames(n int, dup string) string {
	s := "{"
	for i := 0; i < n; i++ {
		s += `"k` + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `":1,`
	}
	return s + `"` + dup + `":1}`
}

func TestJOSEObjectWalkerAndQuickAgree(t *testing.T) {
	cases := joseObjectCases
	cases = append(cases,
		struct {
			text string
			ok   bool
		}{manyNames(40, "new"), true},
		struct {
			text string
			ok   bool
		}{manyNames(40, "kaa"), false}, // the first name again, past the linear-scan limit
		struct {
			text string
			ok   bool
		}{manyNames(40, "kmb"), false}, // the 39th name again
		struct {
			text string
			ok   bool
		}{`{"x":` + manyNames(20, "z") + `,"y":` + manyNames(20, "kta") + `}`, false},
		struct {
			text string
			ok   bool
		}{strings.Repeat(`{"a":`, 50) + "1" + strings.Repeat(`}`, 50), true},
		struct {
			text string
			ok   bool
		}{strings.Repeat(`{"a":`, 50) + `{"b":1,"b":1}` + strings.Repeat(`}`, 50), false},
	)
	for _, tc := range cases {
		w := joseWalker{}
		if err := w.object([]byte(tc.text)); (err == nil) != tc.ok {
			t.Errorf("walker on %q: %v, want ok=%v", tc.text, err, tc.ok)
		}
		if sure, err := quickObject([]byte(tc.text)); sure && (err == nil) != tc.ok {
			t.Errorf("quick scan on %q: %v, want ok=%v", tc.text, err, tc.ok)
		}
	}
	// The quick scan is sure of what ginsession mints.
	if sure, err := quickObject([]byte(`{"exp":1,"iat":1,"iss":"http://localhost/auth","n":{"a":[1,{"b":null}]},"sessionHandle":"h","sub":"u"}`)); !sure || err != nil {
		t.Errorf("quick scan on a minted payload: sure=%v %v", sure, err)
	}
}
