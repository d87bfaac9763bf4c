package ginsession

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"
)

// Payload is an access-token payload with typed getters, so handlers need no
// type assertions.
type Payload map[string]any

// String returns the string at key.
func (p Payload) String(key string) (string, bool) {
	v, ok := p[key].(string)
	return v, ok
}

// Bool returns the boolean at key.
func (p Payload) Bool(key string) (bool, bool) {
	v, ok := p[key].(bool)
	return v, ok
}

// Int64 returns the integer at key (JSON numbers without a fraction).
func (p Payload) Int64(key string) (int64, bool) {
	switch v := p[key].(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case float64:
		if v == float64(int64(v)) {
			return int64(v), true
		}
	case json.Number:
		i, err := v.Int64()
		return i, err == nil
	}
	return 0, false
}

// Float64 returns the number at key.
func (p Payload) Float64(key string) (float64, bool) {
	switch v := p[key].(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case int:
		return float64(v), true
	}
	return 0, false
}

// Strings returns the array of strings at key; false if any element is not
// a string.
func (p Payload) Strings(key string) ([]string, bool) {
	switch v := p[key].(type) {
	case []string:
		return append([]string(nil), v...), true
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// ClaimValidator checks one claim of a verified session. Validate returns
// nil when the claim holds, or the reason it does not (sent to the frontend
// in claimValidationErrors, so keep it free of secrets).
type ClaimValidator interface {
	ID() string
	Validate(p Payload) (reason any)
}

type funcValidator struct {
	id string
	fn func(Payload) any
}

func (f funcValidator) ID() string             { return f.id }
func (f funcValidator) Validate(p Payload) any { return f.fn(p) }

// ValidatorFunc makes a ClaimValidator from a function that returns nil
// when the claim holds, or a JSON-serialisable reason when it does not.
func ValidatorFunc(id string, fn func(p Payload) (reason any)) ClaimValidator {
	return funcValidator{id: id, fn: fn}
}

// checkClaims runs validators and returns a ClaimValidationError listing
// every failure. Claim checks whose value is missing or too old fetch the
// claim again first (which updates the session and issues a new access
// token on this response).
func (s *Session) checkClaims(ctx context.Context, validators []ClaimValidator) error {
	if len(validators) == 0 {
		return nil
	}
	now := s.e.cfg.now()
	for _, v := range validators {
		if cc, ok := v.(*ClaimCheck); ok && cc.shouldRefetch(s.id.Payload, now) {
			if err := s.FetchClaim(ctx, cc.claim); err != nil {
				return err
			}
		}
	}
	var failures []ClaimFailure
	p := Payload(maps.Clone(s.id.Payload)) // the original may be shared with the token cache
	for _, v := range validators {
		var reason any
		if cc, ok := v.(*ClaimCheck); ok {
			reason = cc.validateAt(p, now)
		} else {
			reason = v.Validate(p)
		}
		if reason != nil {
			failures = append(failures, ClaimFailure{ID: v.ID(), Reason: reason})
		}
	}
	if len(failures) > 0 {
		ids := make([]string, len(failures))
		for i, f := range failures {
			ids[i] = f.ID
		}
		s.e.cfg.logger.Info("ginsession: claim validation failed", "session", s.id.Handle, "claims", ids)
		if s.e.cfg.hooks.ClaimFailed != nil {
			s.e.cfg.hooks.ClaimFailed(ClaimEvent{SessionEvent: SessionEvent{Handle: s.id.Handle, UserID: s.id.UserID, Time: now}, Failures: failures})
		}
		return &ClaimValidationError{Failures: failures}
	}
	return nil
}

// AssertClaims runs validators inside a handler; the error (if any) is a
// *ClaimValidationError for HandleError.
func (s *Session) AssertClaims(ctx context.Context, validators ...ClaimValidator) error {
	ctx = stdCtx(ctx)
	return s.checkClaims(ctx, validators)
}

// FetchClaim fetches a claim's value now, stores it in the session's
// payload and issues a new access token on this response.
func (s *Session) FetchClaim(ctx context.Context, c Claim) error {
	ctx = stdCtx(ctx)
	update, err := fetchClaims(ctx, []Claim{c}, s.id.UserID, Payload(s.id.Payload), s.e.cfg.now())
	if err != nil {
		return err
	}
	return s.MergePayload(ctx, update)
}

// fetchClaims runs the claims' fetch functions and returns the payload
// update: each key set to its {"v","t"} entry, or nil (remove) when the
// claim has no value.
func fetchClaims(ctx context.Context, claims []Claim, userID string, current Payload, now time.Time) (map[string]any, error) {
	update := make(map[string]any, len(claims))
	for _, c := range claims {
		v, ok, err := c.fetchAny(ctx, userID, current)
		if err != nil {
			return nil, fmt.Errorf("ginsession: fetching claim %q: %w", c.Key(), err)
		}
		if ok {
			update[c.Key()] = claimEntry(v, now)
		} else {
			update[c.Key()] = nil
		}
	}
	return update, nil
}
