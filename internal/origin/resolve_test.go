package origin

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// problemText renders problems as New words them after "Config.".
func problemText(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Field+": "+p.Err.Error())
	}
	return out
}

// Each option, what it does to the resolved frontends: the default, every
// entry's SameSite, whether any is cross-site or cross-origin.
func TestResolveOptions(t *testing.T) {
	api := "https://api.example.com"
	nilAnswer := func(answer string) func(*http.Request) string {
		return func(r *http.Request) string {
			if r == nil {
				return answer
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name         string
		opts         Options
		def          string
		sameSite     map[string]http.SameSite // origin (or pattern match) -> SameSite
		anyCrossSite bool
		crossOrigin  bool
	}{
		{
			name:     "no frontend: the API's own origin, same site",
			opts:     Options{Secure: true},
			def:      api,
			sameSite: map[string]http.SameSite{api: http.SameSiteLaxMode},
		},
		{
			name:        "WebsiteDomain on the API's site",
			opts:        Options{WebsiteDomain: "https://app.example.com", Secure: true},
			def:         "https://app.example.com",
			sameSite:    map[string]http.SameSite{"https://app.example.com": http.SameSiteLaxMode},
			crossOrigin: true,
		},
		{
			name:         "WebsiteDomain in another spelling, listed again in Origins: one entry",
			opts:         Options{WebsiteDomain: "HTTPS://App.Example.com:443/", Origins: []string{"https://app.example.com", "https://other.test"}, Secure: true},
			def:          "https://app.example.com",
			sameSite:     map[string]http.SameSite{"https://app.example.com": http.SameSiteLaxMode, "https://other.test": http.SameSiteNoneMode},
			anyCrossSite: true,
			crossOrigin:  true,
		},
		{
			name:         "a pattern: its matches share its sample's SameSite",
			opts:         Options{Origins: []string{"https://*.tenants.example.com", "https://*.tenants.other.test"}, Secure: true},
			def:          api,
			sameSite:     map[string]http.SameSite{"https://acme.tenants.example.com": http.SameSiteLaxMode, "https://acme.tenants.other.test": http.SameSiteNoneMode},
			anyCrossSite: true,
			crossOrigin:  true,
		},
		{
			name:         "Partitioned: auto is none, even on the API's site",
			opts:         Options{WebsiteDomain: "https://app.example.com", Partitioned: true, Secure: true},
			def:          "https://app.example.com",
			sameSite:     map[string]http.SameSite{"https://app.example.com": http.SameSiteNoneMode},
			anyCrossSite: true,
			crossOrigin:  true,
		},
		{
			name:     "Partitioned with SameSite set: the setting wins (the caller refuses lax and strict)",
			opts:     Options{Partitioned: true, SameSite: "strict", Secure: true},
			def:      api,
			sameSite: map[string]http.SameSite{api: http.SameSiteStrictMode},
		},
		{
			name:        "SameSite lax for a cross-site frontend: as configured",
			opts:        Options{Origins: []string{"https://other.test"}, SameSite: "lax", Secure: true},
			def:         api,
			sameSite:    map[string]http.SameSite{"https://other.test": http.SameSiteLaxMode},
			crossOrigin: true,
		},
		{
			name:         "SameSite none for a same-site frontend: as configured",
			opts:         Options{SameSite: "none", Secure: true},
			def:          api,
			sameSite:     map[string]http.SameSite{api: http.SameSiteNoneMode},
			anyCrossSite: true,
		},
		{
			name:         "GetOrigin(nil) names the default, a pattern's match",
			opts:         Options{Origins: []string{"https://*.tenants.example.com"}, GetOrigin: nilAnswer("HTTPS://Acme.Tenants.Example.com"), Secure: true},
			def:          "https://acme.tenants.example.com",
			sameSite:     map[string]http.SameSite{"https://acme.tenants.example.com": http.SameSiteLaxMode},
			anyCrossSite: false,
			crossOrigin:  true,
		},
		{
			name:     "GetOrigin(nil) answering \"\": WebsiteDomain",
			opts:     Options{WebsiteDomain: api, GetOrigin: nilAnswer(""), Secure: true},
			def:      api,
			sameSite: map[string]http.SameSite{api: http.SameSiteLaxMode},
		},
		{
			name:        "GetOrigin(nil) agreeing with WebsiteDomain in another spelling",
			opts:        Options{WebsiteDomain: "https://app.example.com", GetOrigin: nilAnswer("https://APP.example.com:443"), Secure: true},
			def:         "https://app.example.com",
			sameSite:    map[string]http.SameSite{"https://app.example.com": http.SameSiteLaxMode},
			crossOrigin: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.API = mustParse(t, api)
			fr, problems := Resolve(tc.opts)
			if problems != nil {
				t.Fatalf("problems: %q", problemText(problems))
			}
			if got := fr.Default().Origin; got != tc.def {
				t.Errorf("default %q, want %q", got, tc.def)
			}
			for o, want := range tc.sameSite {
				f, canon, ok := fr.set.match(o)
				if !ok || canon != o {
					t.Errorf("%s: not configured (%v, %q)", o, ok, canon)
					continue
				}
				if f.sameSite != want {
					t.Errorf("%s: SameSite %v, want %v", o, f.sameSite, want)
				}
			}
			if got := fr.Default().SameSite; got != fr.Default().entry.sameSite {
				t.Errorf("default SameSite %v, its entry's %v", got, fr.Default().entry.sameSite)
			}
			if got := fr.AnyCrossSite(); got != tc.anyCrossSite {
				t.Errorf("AnyCrossSite %v, want %v", got, tc.anyCrossSite)
			}
			if got := fr.CrossOrigin(); got != tc.crossOrigin {
				t.Errorf("CrossOrigin %v, want %v", got, tc.crossOrigin)
			}
			if !fr.Ours(api) {
				t.Errorf("the API's own origin is not ours")
			}
		})
	}
}

// Every problem is found, named by its Config field, worded as New reports
// it, in the order the fields are checked.
func TestResolveProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		api  string // "" leaves Options.API nil, as when APIDomain did not parse
		opts Options
		want []string
	}{
		{
			name: "a pattern as WebsiteDomain",
			api:  "https://api.example.com",
			opts: Options{WebsiteDomain: "https://*.example.com", Secure: true},
			want: []string{`WebsiteDomain: "https://*.example.com": the default frontend is one origin, not a pattern (list patterns in Origins)`},
		},
		{
			name: "\"*\" and a malformed entry in Origins, each by index",
			api:  "https://api.example.com",
			opts: Options{Origins: []string{"https://ok.example.com", "*", "ftp://x.example.com"}, Secure: true},
			want: []string{
				`Origins[1]: "*" is not an origin: list every frontend origin, or a pattern such as "https://*.app.example.com" (credentials are never granted to every site)`,
				`Origins[2]: "ftp://x.example.com": scheme must be http or https`,
			},
		},
		{
			name: "a cross-site frontend without Secure",
			api:  "http://api.example.com",
			opts: Options{Origins: []string{"http://app.other.test"}},
			want: []string{`CookieSameSite: for origin http://app.other.test: SameSite none requires Secure cookies (an https APIDomain or CookieSecure) unless API and frontend are both localhost or IP addresses`},
		},
		{
			name: "local ends need no Secure",
			api:  "http://localhost:8080",
			opts: Options{Origins: []string{"http://127.0.0.1:5173"}},
		},
		{
			name: "no API: entries are parsed, no SameSite decided",
			opts: Options{WebsiteDomain: "https://app.example.com", Origins: []string{"https://other.test", "bad"}},
			want: []string{`Origins[1]: "bad": scheme must be http or https`},
		},
		{
			name: "no API and no WebsiteDomain: nothing to report here",
		},
		{
			name: "GetOrigin panicking on a nil request",
			api:  "https://api.example.com",
			opts: Options{Secure: true, GetOrigin: func(r *http.Request) string { return r.Header.Get("X-Tenant") }},
			want: []string{`GetOrigin: panicked when called with a nil request (New calls it so, to learn the default frontend; answer "" there for WebsiteDomain): runtime error: invalid memory address or nil pointer dereference`},
		},
		{
			name: "GetOrigin(nil) not configured",
			api:  "https://api.example.com",
			opts: Options{Secure: true, GetOrigin: func(*http.Request) string { return "https://evil.test" }},
			want: []string{`GetOrigin: GetOrigin(nil) = "https://evil.test", which is not a configured origin and matches no pattern`},
		},
		{
			name: "GetOrigin(nil) disagreeing with WebsiteDomain",
			api:  "https://api.example.com",
			opts: Options{WebsiteDomain: "https://app.example.com", Origins: []string{"https://b.example.com"}, Secure: true,
				GetOrigin: func(*http.Request) string { return "https://b.example.com" }},
			want: []string{`GetOrigin: GetOrigin(nil) = "https://b.example.com", but WebsiteDomain is "https://app.example.com": they name the default frontend, so they must agree (or leave one unset)`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.api != "" {
				tc.opts.API = mustParse(t, tc.api)
			}
			_, problems := Resolve(tc.opts)
			if got := problemText(problems); !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n%q\nwant:\n%q", got, tc.want)
			}
		})
	}
}

// For: a request selects a configured entry or gets the default; an origin
// function's answer outside the set is logged, bounded.
func TestFrontendsFor(t *testing.T) {
	api := mustParse(t, "https://api.example.com")
	origins := []string{"https://app.example.com", "https://*.tenants.example.com", "https://other.test"}
	byHeader, problems := Resolve(Options{API: api, Origins: origins, Secure: true})
	if problems != nil {
		t.Fatal(problemText(problems))
	}
	var logs bytes.Buffer
	byFunc, problems := Resolve(Options{API: api, Origins: origins, Secure: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		GetOrigin: func(r *http.Request) string {
			if r == nil {
				return ""
			}
			return r.Header.Get("X-Frontend")
		}})
	if problems != nil {
		t.Fatal(problemText(problems))
	}
	long := "https://" + strings.Repeat("a", 300) + ".test"
	for _, tc := range []struct {
		name     string
		fr       *Frontends
		header   string
		values   []string
		want     string
		sameSite http.SameSite
		logged   bool
	}{
		{"Origin: configured", byHeader, "Origin", []string{"https://app.example.com"}, "https://app.example.com", http.SameSiteLaxMode, false},
		{"Origin: a pattern's match", byHeader, "Origin", []string{"https://acme.tenants.example.com"}, "https://acme.tenants.example.com", http.SameSiteLaxMode, false},
		{"Origin: cross-site", byHeader, "Origin", []string{"https://other.test"}, "https://other.test", http.SameSiteNoneMode, false},
		{"Origin: absent", byHeader, "Origin", nil, "https://api.example.com", http.SameSiteLaxMode, false},
		{"Origin: two headers", byHeader, "Origin", []string{"https://other.test", "https://other.test"}, "https://api.example.com", http.SameSiteLaxMode, false},
		{"Origin: not canonical", byHeader, "Origin", []string{"https://OTHER.test"}, "https://api.example.com", http.SameSiteLaxMode, false},
		{"Origin: unlisted", byHeader, "Origin", []string{"https://evil.test"}, "https://api.example.com", http.SameSiteLaxMode, false},
		{"Origin ignored when GetOrigin is set", byFunc, "Origin", []string{"https://other.test"}, "https://api.example.com", http.SameSiteLaxMode, false},
		{"GetOrigin: any spelling, canonicalised", byFunc, "X-Frontend", []string{"HTTPS://Other.Test:443"}, "https://other.test", http.SameSiteNoneMode, false},
		{"GetOrigin: unlisted, logged", byFunc, "X-Frontend", []string{"https://evil.test"}, "https://api.example.com", http.SameSiteLaxMode, true},
		{"GetOrigin: a pattern, logged", byFunc, "X-Frontend", []string{"https://*.tenants.example.com"}, "https://api.example.com", http.SameSiteLaxMode, true},
		{"GetOrigin: long, logged bounded", byFunc, "X-Frontend", []string{long}, "https://api.example.com", http.SameSiteLaxMode, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs.Reset()
			r, _ := http.NewRequest("GET", "https://api.example.com/x", nil)
			r.Header[tc.header] = tc.values
			got := tc.fr.For(r)
			if got.Origin != tc.want || got.SameSite != tc.sameSite {
				t.Errorf("For = %q %v, want %q %v", got.Origin, got.SameSite, tc.want, tc.sameSite)
			}
			if logged := strings.Contains(logs.String(), "not configured"); logged != tc.logged {
				t.Errorf("logged %v, want %v: %s", logged, tc.logged, logs.String())
			}
			if strings.Contains(logs.String(), long) {
				t.Errorf("the whole answer was logged")
			}
		})
	}
	if got := byHeader.For(nil); got != byHeader.Default() {
		t.Errorf("For(nil) = %+v, want the default", got)
	}
}

// Ours: the API's own origin and the configured frontends, as browsers
// write them; nothing else.
func TestFrontendsOurs(t *testing.T) {
	fr, problems := Resolve(Options{API: mustParse(t, "https://api.example.com"),
		Origins: []string{"https://app.example.com", "https://*.tenants.example.com"}, Secure: true})
	if problems != nil {
		t.Fatal(problemText(problems))
	}
	for o, want := range map[string]bool{
		"https://api.example.com":          true,
		"https://app.example.com":          true,
		"https://acme.tenants.example.com": true,
		"https://API.example.com":          false,
		"https://api.example.com:443":      false,
		"http://api.example.com":           false,
		"https://evil.test":                false,
		"null":                             false,
		"":                                 false,
	} {
		if got := fr.Ours(o); got != want {
			t.Errorf("Ours(%q) = %v, want %v", o, got, want)
		}
	}
}
