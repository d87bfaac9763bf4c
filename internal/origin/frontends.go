package origin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// frontend is one configured frontend: an exact origin, or a pattern with
// one wildcard label ("https://*.app.example.com"). Its SameSite is decided
// once, at construction, from the configuration alone; a request only ever
// selects an entry, so nothing a request says becomes a cookie attribute.
type frontend struct {
	text     string // canonical origin, or the canonical pattern
	sameSite http.SameSite

	// Patterns only. A match is prefix + one label + tail, e.g.
	// "https://" + "acme" + ".app.example.com:8443".
	pattern bool
	prefix  string // "https://"
	tail    string // "." + suffix + optional ":port"
	site    string // the registrable domain every match shares
}

// Set is a list of configured frontends: exact origins and patterns.
type Set struct {
	exact    map[string]*frontend // canonical origin -> entry
	order    []string             // exact origins in the order configured
	patterns []*frontend
}

func newSet() *Set {
	return &Set{exact: map[string]*frontend{}}
}

// wildcardPrefixes are the only places a pattern's "*" may stand.
var wildcardPrefixes = []string{"https://*.", "http://*."}

// isPattern reports whether an Origins entry is meant as a pattern.
func isPattern(s string) bool { return strings.Contains(s, "*") }

// parsePattern validates a pattern: "*" is the whole first label of the
// host and nothing else is wild; the rest must name a domain under which
// every one-label subdomain belongs to one registrable domain, so
// "https://*.com", "https://*.co.uk" and "https://*.github.io" (public
// suffixes, per the public-suffix list) are refused, as are IP addresses
// and "*" alone. It returns the entry without SameSite.
func parsePattern(s string) (*frontend, error) {
	lower := strings.ToLower(s)
	var prefix string
	for _, p := range wildcardPrefixes {
		if strings.HasPrefix(lower, p) {
			prefix = p
		}
	}
	if prefix == "" || strings.Count(s, "*") != 1 {
		return nil, fmt.Errorf("%q: a pattern has one \"*\", as the whole first label of the host: \"https://*.app.example.com\"", s)
	}
	// A sample origin in place of the pattern checks everything else with
	// the rules for origins (host labels, port, no path).
	scheme := strings.TrimSuffix(prefix, "*.")
	sample, err := Parse(scheme + sampleLabel + "." + s[len(prefix):])
	if err != nil {
		return nil, fmt.Errorf("pattern %w", err)
	}
	canon := Canonical(sample)
	host := strings.ToLower(sample.Hostname())
	suffix := strings.TrimPrefix(host, sampleLabel+".")
	if ps, _ := publicsuffix.PublicSuffix(suffix); ps == suffix {
		return nil, fmt.Errorf("%q: %q is a public suffix: the pattern would match every site under it", s, suffix)
	}
	if ps, _ := publicsuffix.PublicSuffix(host); ps == host {
		return nil, fmt.Errorf("%q: the subdomains of %q are public suffixes (each its own site)", s, suffix)
	}
	site, err := publicsuffix.EffectiveTLDPlusOne(suffix)
	if err != nil {
		return nil, fmt.Errorf("%q: %v", s, err)
	}
	f := &frontend{
		pattern: true,
		prefix:  scheme,
		tail:    canon[len(scheme)+len(sampleLabel):],
		site:    site,
	}
	f.text = f.prefix + "*" + f.tail
	return f, nil
}

// sampleLabel stands for the wildcard where a pattern needs an origin.
const sampleLabel = "sample"

// sample returns an origin the entry stands for: the origin itself, or a
// pattern's match (every match shares its scheme and site, so the sample
// decides SameSite for all of them).
func (f *frontend) sample() string {
	if !f.pattern {
		return f.text
	}
	return f.prefix + sampleLabel + f.tail
}

// matches reports whether a canonical origin is one label in place of the
// pattern's "*", on the pattern's registrable domain (a name the
// public-suffix list makes a site of its own, such as a hosting provider's
// suffix under an ordinary domain, is not).
func (f *frontend) matches(canon string) bool {
	if !strings.HasPrefix(canon, f.prefix) || !strings.HasSuffix(canon, f.tail) || len(canon) <= len(f.prefix)+len(f.tail) {
		return false
	}
	label := canon[len(f.prefix) : len(canon)-len(f.tail)]
	if strings.ContainsAny(label, ".:[]") {
		return false
	}
	host := label + f.tail[:len(f.tail)-len(portOf(f.tail))]
	if ps, _ := publicsuffix.PublicSuffix(host); ps == host {
		return false
	}
	return siteOf(host) == f.site
}

// portOf returns the ":port" ending of a pattern's tail, or "".
func portOf(tail string) string {
	if i := strings.LastIndexByte(tail, ':'); i >= 0 {
		return tail[i:]
	}
	return ""
}

// add puts a parsed entry in the set; an entry listed again (perhaps in
// another spelling of the same origin) is kept once.
func (fs *Set) add(f *frontend) {
	if f.pattern {
		for _, p := range fs.patterns {
			if p.text == f.text {
				return
			}
		}
		fs.patterns = append(fs.patterns, f)
		return
	}
	if _, dup := fs.exact[f.text]; !dup {
		fs.exact[f.text] = f
		fs.order = append(fs.order, f.text)
	}
}

// match finds the entry an origin belongs to. The origin is canonicalised
// first (an app's origin function may return "HTTPS://App.Example.com:443");
// the canonical text is what is returned.
func (fs *Set) match(origin string) (*frontend, string, bool) {
	if f, ok := fs.exact[origin]; ok {
		return f, f.text, true
	}
	if origin == "" || isPattern(origin) {
		return nil, "", false
	}
	u, err := Parse(origin)
	if err != nil {
		return nil, "", false
	}
	canon := Canonical(u)
	if f, ok := fs.exact[canon]; ok {
		return f, canon, true
	}
	for _, p := range fs.patterns {
		if p.matches(canon) {
			return p, canon, true
		}
	}
	return nil, "", false
}

// matchExactly is match for text a browser sent in an Origin header,
// which is always canonical: other spellings select nothing, so the
// cookies and the CORS answer agree on which origins are configured.
func (fs *Set) matchExactly(origin string) (*frontend, bool) {
	f, canon, ok := fs.match(origin)
	return f, ok && canon == origin
}

// AllowsExactly reports whether a browser's Origin header names a
// configured frontend (matchExactly); it is gin-contrib/cors's AllowOriginFunc.
func (fs *Set) AllowsExactly(origin string) bool {
	_, ok := fs.matchExactly(origin)
	return ok
}

// crossOrigin reports whether some frontend is not apiOrigin, so that
// browsers send the API cross-origin requests.
func (fs *Set) crossOrigin(apiOrigin string) bool {
	if len(fs.patterns) > 0 {
		return true
	}
	for _, o := range fs.order {
		if o != apiOrigin {
			return true
		}
	}
	return false
}

// ParseSet parses Origins-style entries (exact origins and patterns) for
// the CORS helper, which has no APIDomain and so no SameSite to decide.
func ParseSet(entries []string) (*Set, error) {
	fs := newSet()
	for _, o := range entries {
		f, err := parseFrontend(o)
		if err != nil {
			return nil, err
		}
		fs.add(f)
	}
	return fs, nil
}

// parseFrontend parses one exact origin or pattern, without SameSite.
func parseFrontend(o string) (*frontend, error) {
	if o == "*" {
		return nil, errors.New("\"*\" is not an origin: list every frontend origin, or a pattern such as \"https://*.app.example.com\" (credentials are never granted to every site)")
	}
	if isPattern(o) {
		return parsePattern(o)
	}
	u, err := Parse(o)
	if err != nil {
		return nil, err
	}
	return &frontend{text: Canonical(u)}, nil
}
