package origin

import (
	"slices"
	"testing"
)

// The CORS configuration allows exactly the set: exact origins listed,
// patterns through the matcher the cookies use, credentials on; the header
// lists are copies.
func TestCORSConfig(t *testing.T) {
	allow, expose := []string{"rid", "content-type"}, []string{"front-token"}

	exact, err := ParseSet([]string{"https://app.example.com", "HTTPS://App.Example.com", "https://b.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := CORSConfig(exact, allow, expose)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.AllowOrigins, []string{"https://app.example.com", "https://b.example.com"}) || cfg.AllowOriginFunc != nil {
		t.Errorf("exact origins: AllowOrigins %q, AllowOriginFunc set: %v", cfg.AllowOrigins, cfg.AllowOriginFunc != nil)
	}
	if !cfg.AllowCredentials || !slices.Equal(cfg.AllowHeaders, allow) || !slices.Equal(cfg.ExposeHeaders, expose) {
		t.Errorf("credentials %v, headers %q %q", cfg.AllowCredentials, cfg.AllowHeaders, cfg.ExposeHeaders)
	}
	cfg.AllowHeaders[0], cfg.ExposeHeaders[0] = "changed", "changed"
	if allow[0] != "rid" || expose[0] != "front-token" {
		t.Error("the header lists were not copied")
	}

	withPattern, err := ParseSet([]string{"https://app.example.com", "https://*.tenants.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err = CORSConfig(withPattern, allow, expose)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AllowOriginFunc == nil {
		t.Fatal("a pattern without AllowOriginFunc")
	}
	for o, want := range map[string]bool{
		"https://acme.tenants.example.com": true,
		"https://ACME.tenants.example.com": false,
		"https://a.b.tenants.example.com":  false,
		"https://evil.test":                false,
	} {
		if got := cfg.AllowOriginFunc(o); got != want {
			t.Errorf("AllowOriginFunc(%q) = %v, want %v", o, got, want)
		}
	}
}
