package origin

import "net/http"

// Resolved is the frontend a request is for: its origin (a pattern's
// match, in canonical form) and the SameSite its cookies get, decided at
// Resolve from the configuration alone.
type Resolved struct {
	Origin   string
	SameSite http.SameSite
	entry    *frontend // the configured entry selected
}

func resolved(f *frontend, origin string) Resolved {
	return Resolved{Origin: origin, SameSite: f.sameSite, entry: f}
}

// For is the guard between a request and cookie decisions. Without
// GetOrigin the request's single Origin header selects the configured
// entry it equals or matches, in the canonical form browsers send; with
// GetOrigin, the function's answer does. Either way only a configured
// entry is ever returned, with the SameSite decided for it at Resolve;
// anything else (no Origin, two Origin headers, an unlisted origin, a
// function answer outside the set) means the default frontend. A function
// answer outside the set is logged, as it shows a mistake in the function
// or a request that fooled it; "" is the function's way of naming no
// frontend, and is not.
func (fr *Frontends) For(r *http.Request) Resolved {
	if r == nil {
		return fr.def // no request (Resolve asks GetOrigin(nil) itself)
	}
	if fr.getOrigin == nil {
		vals := r.Header.Values("Origin")
		if len(vals) != 1 {
			return fr.def
		}
		if f, ok := fr.set.matchExactly(vals[0]); ok {
			return resolved(f, vals[0])
		}
		return fr.def
	}
	got := fr.getOrigin(r)
	if f, canon, ok := fr.set.match(got); ok {
		return resolved(f, canon)
	}
	if got != "" {
		fr.logger.Warn("ginsession: GetOrigin answered an origin that is not configured; using the default frontend",
			"answer", TruncateForLog(got), "default", fr.def.Origin, "path", TruncateForLog(r.URL.Path))
	}
	return fr.def
}

// TruncateForLog bounds text a request may have chosen (an origin, a path)
// before it is logged.
func TruncateForLog(s string) string {
	const limit = 200
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}
