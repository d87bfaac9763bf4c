package origin

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
)

// Options are the frontend fields of ginsession.Config, as Resolve needs
// them: the engine reads and validates its other fields itself.
type Options struct {
	// API is Config.APIDomain parsed, or nil when it did not parse (that
	// error is the caller's to report); without it no SameSite is decided.
	API *url.URL
	// WebsiteDomain and Origins are Config's fields as given.
	WebsiteDomain string
	Origins       []string
	// SameSite is Config.CookieSameSite: "" (auto), "lax", "strict" or
	// "none". The caller validates the value; anything else counts as auto.
	SameSite string
	// Partitioned is Config.CookiePartitioned: auto SameSite is then none.
	Partitioned bool
	// Secure is whether cookies are Secure (resolved by the caller from
	// Config.CookieSecure and the API's scheme).
	Secure bool
	// GetOrigin is Config.GetOrigin (nil: the request's Origin header).
	GetOrigin func(*http.Request) string
	// Logger receives the warning about an origin function's answer that is
	// not configured (nil: nothing is logged).
	Logger *slog.Logger
}

// Problem is one thing wrong with the frontend options: the Config field it
// is about and what is wrong, worded for the app's developer.
type Problem struct {
	Field string
	Err   error
}

// Frontends are the configured frontends, resolved once: every entry with
// its SameSite, the default frontend, and how a request selects one (For).
// Nothing in it changes after Resolve.
type Frontends struct {
	set       *Set
	def       Resolved // for requests naming no configured frontend
	getOrigin func(*http.Request) string
	logger    *slog.Logger
	apiOrigin string // "" when the API did not parse
	// anyCrossSite is true when some configured frontend gets SameSite
	// none cookies: then a request's Origin cannot decide whether anti-CSRF
	// applies (a forged request picks its own Origin).
	anyCrossSite bool
}

// Resolve parses WebsiteDomain and Origins into the frontend set, decides
// each entry's SameSite, and picks the default frontend: GetOrigin(nil)
// when it names one, else WebsiteDomain, else the API's own origin. Every
// problem found is returned, in the order the fields are checked; the
// Frontends are usable only when there is none.
func Resolve(o Options) (*Frontends, []Problem) {
	var problems []Problem
	bad := func(field, format string, args ...any) {
		problems = append(problems, Problem{field, fmt.Errorf(format, args...)})
	}
	fr := &Frontends{set: newSet(), getOrigin: o.GetOrigin, logger: o.Logger}
	if fr.logger == nil {
		fr.logger = slog.New(slog.DiscardHandler)
	}
	if o.API != nil {
		fr.apiOrigin = Canonical(o.API)
	}
	var def *frontend
	defOrigin := ""
	website := o.WebsiteDomain
	if website == "" {
		website = fr.apiOrigin
	}
	for i, entry := range append([]string{website}, o.Origins...) {
		field := "WebsiteDomain"
		if i > 0 {
			field = fmt.Sprintf("Origins[%d]", i-1)
		}
		if entry == "" && i == 0 {
			continue // no APIDomain either: the caller reports it
		}
		if i == 0 && isPattern(entry) {
			bad(field, "%q: the default frontend is one origin, not a pattern (list patterns in Origins)", entry)
			continue
		}
		f, err := parseFrontend(entry)
		if err != nil {
			bad(field, "%v", err)
			continue
		}
		if existing, dup := fr.set.exact[f.text]; dup {
			f = existing // listed again, as WebsiteDomain often is in Origins
		}
		if i == 0 {
			def, defOrigin = f, f.text
		}
		fr.set.add(f)
		if o.API == nil {
			continue
		}
		sample, err := Parse(f.sample())
		if err != nil {
			bad(field, "%v", err)
			continue
		}
		mode := o.SameSite
		if o.Partitioned && mode == "" {
			// An embedded frontend's requests are cross-site to the page
			// around it, whatever the frontend's own site.
			mode = "none"
		}
		ss, err := resolveSameSite(mode, o.API, sample, o.Secure)
		if err != nil {
			bad("CookieSameSite", "for origin %s: %v", f.text, err)
			continue
		}
		f.sameSite = ss
		if ss == http.SameSiteNoneMode {
			fr.anyCrossSite = true
		}
	}
	if o.GetOrigin != nil && def != nil {
		// Outside a request the origin function names the default frontend.
		got, panicked := callWithoutRequest(o.GetOrigin)
		switch {
		case panicked != nil:
			bad("GetOrigin", "panicked when called with a nil request (New calls it so, to learn the default frontend; answer \"\" there for WebsiteDomain): %v", panicked)
		case got != "":
			f, canon, ok := fr.set.match(got)
			switch {
			case !ok:
				bad("GetOrigin", "GetOrigin(nil) = %q, which is not a configured origin and matches no pattern", got)
			case o.WebsiteDomain != "" && canon != defOrigin:
				bad("GetOrigin", "GetOrigin(nil) = %q, but WebsiteDomain is %q: they name the default frontend, so they must agree (or leave one unset)", got, defOrigin)
			default:
				def, defOrigin = f, canon
			}
		}
	}
	if def != nil {
		fr.def = resolved(def, defOrigin)
	}
	return fr, problems
}

// callWithoutRequest calls an origin function with a nil request, turning a
// panic (a function that reads the request without checking) into a value.
func callWithoutRequest(getOrigin func(*http.Request) string) (answer string, panicked any) {
	defer func() { panicked = recover() }()
	return getOrigin(nil), nil
}

// Default is the default frontend: the one a request naming no configured
// frontend is for, and the one outside any request.
func (fr *Frontends) Default() Resolved { return fr.def }

// AnyCrossSite reports whether some configured frontend gets SameSite none
// cookies. Then a request's Origin cannot decide whether anti-CSRF applies
// (a forged request picks its own Origin), so auto mode always requires the
// custom header.
func (fr *Frontends) AnyCrossSite() bool { return fr.anyCrossSite }

// AllowsExactly reports whether origin, as a browser writes it in an Origin
// header, is a configured frontend or matches a configured pattern.
func (fr *Frontends) AllowsExactly(origin string) bool { return fr.set.AllowsExactly(origin) }

// Ours reports whether origin, as a browser writes it, is the API's own or a
// configured frontend: a page the app serves, not one of another origin.
func (fr *Frontends) Ours(origin string) bool {
	return origin == fr.apiOrigin || fr.set.AllowsExactly(origin)
}

// CrossOrigin reports whether some frontend is not the API's own origin, so
// that browsers send the API cross-origin requests (and the session routes
// need a CORS answer).
func (fr *Frontends) CrossOrigin() bool { return fr.set.crossOrigin(fr.apiOrigin) }

// Set is every configured frontend, for the CORS configuration.
func (fr *Frontends) Set() *Set { return fr.set }
