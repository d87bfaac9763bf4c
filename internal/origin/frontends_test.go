package origin

import "testing"

// Patterns: which are accepted, and what each accepted one matches.
func TestFrontendsPatternMatching(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		match   []string
		refuse  []string
	}{
		{
			pattern: "https://*.app.example.com",
			match:   []string{"https://acme.app.example.com", "https://globex.app.example.com", "https://a-1.app.example.com"},
			refuse: []string{
				"https://app.example.com",               // no label
				"https://a.b.app.example.com",           // two labels
				"http://acme.app.example.com",           // scheme
				"https://acme.app.example.com:8443",     // port
				"https://acme.app.example.com.evil.com", // suffix elsewhere
				"https://acmeapp.example.com",           // no dot before the suffix
				"https://*.app.example.com",             // the pattern itself
				"https://.app.example.com",              // empty label
				"https://ACME.app.example.com",          // not canonical: browsers send lower case
				"https://acme.app.example.com/",         // not an Origin header's form
				"null", "", "https://acme.app.example.com\r\n",
			},
		},
		{
			pattern: "http://*.apps.example.test:5173",
			match:   []string{"http://acme.apps.example.test:5173"},
			refuse:  []string{"http://acme.apps.example.test", "http://acme.apps.example.test:5174", "https://acme.apps.example.test:5173"},
		},
		{
			pattern: "HTTPS://*.Example.COM:443",
			match:   []string{"https://acme.example.com"},
			refuse:  []string{"https://acme.example.com:443x"},
		},
		{
			// blogspot.com is a public suffix under .com: its one-label
			// subdomains are sites of their own, and ordinary domains can
			// contain such suffixes too (s3.amazonaws.com under
			// amazonaws.com), which must not be matched as one site.
			pattern: "https://*.amazonaws.com",
			match:   []string{"https://console.amazonaws.com"},
			refuse:  []string{"https://s3.amazonaws.com"},
		},
	} {
		f, err := parsePattern(tc.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		fs := newSet()
		fs.add(f)
		for _, o := range tc.match {
			if got, ok := fs.matchExactly(o); !ok || got != f {
				t.Errorf("%s does not match %q", tc.pattern, o)
			}
		}
		for _, o := range tc.refuse {
			if _, ok := fs.matchExactly(o); ok {
				t.Errorf("%s matches %q", tc.pattern, o)
			}
		}
	}
}

// An origin function may answer in any spelling of a configured origin;
// the canonical form is what is used.
func TestFrontendsMatchCanonicalises(t *testing.T) {
	fs, err := ParseSet([]string{"https://app.example.com", "https://*.tenants.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"HTTPS://App.Example.com:443":      "https://app.example.com",
		"https://app.example.com/":         "https://app.example.com",
		"https://ACME.tenants.example.com": "https://acme.tenants.example.com",
	} {
		if _, got, ok := fs.match(in); !ok || got != want {
			t.Errorf("match(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
