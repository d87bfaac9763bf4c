package ginsession

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Claims are values the app computes for a user (email verified, roles)
// and keeps in the access-token payload, where the frontend SDK's claim
// helpers read them: under the claim's key as {"v": value, "t":
// fetchedAtMillis}.
//
// A claim is defined once with a key and a fetch function. Listed in
// Config.Claims, it is fetched when a session is created and at every
// refresh; Session.FetchClaim fetches it on demand. Its validators (HasValue,
// IsTrue, Includes, MaxAge, ...) go in Config.ClaimValidators or on a route
// with WithClaimValidators. A validator of a claim whose value is missing or
// older than the validator's max age fetches it again first, so a route
// that requires "email verified" sees the change without a new sign-in.

// Claim is what every claim definition provides; Config.Claims holds them.
type Claim interface {
	// Key is the claim's name in the access-token payload.
	Key() string
	fetchAny(ctx context.Context, userID string, p Payload) (value any, ok bool, err error)
}

// FetchFunc computes a claim's value for a user. ok == false means "no
// value" (the claim is removed from the payload).
type FetchFunc[T any] func(ctx context.Context, userID string, current Payload) (value T, ok bool, err error)

// claimBase holds what every claim type shares.
type claimBase[T any] struct {
	key   string
	fetch FetchFunc[T]
}

func (c *claimBase[T]) Key() string { return c.key }

func (c *claimBase[T]) fetchAny(ctx context.Context, userID string, p Payload) (any, bool, error) {
	if c.fetch == nil {
		return nil, false, fmt.Errorf("ginsession: claim %q has no fetch function", c.key)
	}
	v, ok, err := c.fetch(ctx, userID, p)
	return v, ok, err
}

// Get returns the claim's value from a payload, typed.
func (c *claimBase[T]) Get(p Payload) (T, bool) {
	var zero T
	raw, ok := p[c.key].(map[string]any)
	if !ok {
		return zero, false
	}
	v, present := raw["v"]
	if !present {
		return zero, false
	}
	return convertClaimValue[T](v)
}

// FetchedAt returns when the claim's value was fetched.
func (c *claimBase[T]) FetchedAt(p Payload) (time.Time, bool) {
	raw, ok := p[c.key].(map[string]any)
	if !ok {
		return time.Time{}, false
	}
	ms, ok := Payload(raw).Int64("t")
	if !ok {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

// convertClaimValue turns a decoded JSON value into T (numbers arrive as
// int64 or float64, arrays as []any).
func convertClaimValue[T any](v any) (T, bool) {
	var zero T
	if t, ok := v.(T); ok {
		return t, true
	}
	// Round-trip through JSON for the conversions the decoder cannot know
	// about ([]any -> []string, int64 -> float64, ...).
	b, err := json.Marshal(v)
	if err != nil {
		return zero, false
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		return zero, false
	}
	return out, true
}

// claimEntry is the payload form of a claim value.
func claimEntry(v any, at time.Time) map[string]any {
	return map[string]any{"v": v, "t": at.UnixMilli()}
}

// Primitive is the set of value types a PrimitiveClaim can hold.
type Primitive interface {
	~string | ~bool | ~int64 | ~float64
}

// PrimitiveClaim holds one string, number or boolean.
type PrimitiveClaim[T Primitive] struct{ claimBase[T] }

// NewPrimitiveClaim defines a claim holding one value of type T.
func NewPrimitiveClaim[T Primitive](key string, fetch FetchFunc[T]) *PrimitiveClaim[T] {
	return &PrimitiveClaim[T]{claimBase[T]{key: key, fetch: fetch}}
}

// HasValue requires the claim to equal want.
func (c *PrimitiveClaim[T]) HasValue(want T) *ClaimCheck {
	return c.check("has-value", func(p Payload) any {
		got, ok := c.Get(p)
		if !ok {
			return map[string]any{"message": "value does not exist", "expectedValue": want, "actualValue": nil}
		}
		if got != want {
			return map[string]any{"message": "wrong value", "expectedValue": want, "actualValue": got}
		}
		return nil
	})
}

// Exists requires the claim to have any value.
func (c *PrimitiveClaim[T]) Exists() *ClaimCheck {
	return c.check("exists", func(p Payload) any {
		if _, ok := c.Get(p); !ok {
			return map[string]any{"message": "value does not exist"}
		}
		return nil
	})
}

func (c *claimBase[T]) check(kind string, fn func(Payload) any) *ClaimCheck {
	return &ClaimCheck{claim: c, kind: kind, fn: fn}
}

// BooleanClaim holds true or false (e.g. "email verified").
type BooleanClaim struct{ PrimitiveClaim[bool] }

// NewBooleanClaim defines a boolean claim.
func NewBooleanClaim(key string, fetch FetchFunc[bool]) *BooleanClaim {
	return &BooleanClaim{PrimitiveClaim[bool]{claimBase[bool]{key: key, fetch: fetch}}}
}

// IsTrue requires the claim to be true.
func (c *BooleanClaim) IsTrue() *ClaimCheck { return c.HasValue(true) }

// IsFalse requires the claim to be false.
func (c *BooleanClaim) IsFalse() *ClaimCheck { return c.HasValue(false) }

// ArrayClaim holds a list (e.g. roles, permissions).
type ArrayClaim[T comparable] struct{ claimBase[[]T] }

// NewArrayClaim defines a claim holding a list of T.
func NewArrayClaim[T comparable](key string, fetch FetchFunc[[]T]) *ArrayClaim[T] {
	return &ArrayClaim[T]{claimBase[[]T]{key: key, fetch: fetch}}
}

// Includes requires every item in the list.
func (c *ArrayClaim[T]) Includes(items ...T) *ClaimCheck {
	return c.check("includes", func(p Payload) any {
		got, ok := c.Get(p)
		if !ok {
			return map[string]any{"message": "value does not exist", "expectedToInclude": items, "actualValue": nil}
		}
		for _, it := range items {
			if !slices.Contains(got, it) {
				return map[string]any{"message": "wrong value", "expectedToInclude": it, "actualValue": got}
			}
		}
		return nil
	})
}

// Excludes requires none of the items in the list.
func (c *ArrayClaim[T]) Excludes(items ...T) *ClaimCheck {
	return c.check("excludes", func(p Payload) any {
		got, ok := c.Get(p)
		if !ok {
			return map[string]any{"message": "value does not exist", "expectedToNotInclude": items, "actualValue": nil}
		}
		for _, it := range items {
			if slices.Contains(got, it) {
				return map[string]any{"message": "wrong value", "expectedToNotInclude": it, "actualValue": got}
			}
		}
		return nil
	})
}

// ClaimCheck is a validator of one claim. Chain MaxAge to also require a
// recent value. It implements ClaimValidator.
type ClaimCheck struct {
	claim interface {
		Claim
		FetchedAt(Payload) (time.Time, bool)
	}
	kind   string
	fn     func(Payload) any
	maxAge time.Duration
}

// MaxAge returns a copy of the check that also fails when the value was
// fetched longer than d ago. Before failing, Verify fetches it again.
func (v *ClaimCheck) MaxAge(d time.Duration) *ClaimCheck {
	cp := *v
	cp.maxAge = d
	return &cp
}

// ID is the claim's key: what the frontend sees in claimValidationErrors.
func (v *ClaimCheck) ID() string { return v.claim.Key() }

// Validate implements ClaimValidator (with the wall clock; Verify uses the
// engine's clock).
func (v *ClaimCheck) Validate(p Payload) any { return v.validateAt(p, time.Now()) }

func (v *ClaimCheck) validateAt(p Payload, now time.Time) any {
	if v.maxAge > 0 {
		at, ok := v.claim.FetchedAt(p)
		if !ok {
			return map[string]any{"message": "value does not exist"}
		}
		if age := now.Sub(at); age > v.maxAge {
			return map[string]any{"message": "expired", "ageInSeconds": int64(age / time.Second), "maxAgeInSeconds": int64(v.maxAge / time.Second)}
		}
	}
	return v.fn(p)
}

// shouldRefetch reports whether Verify should fetch the claim before
// validating: its value is missing or older than the max age.
func (v *ClaimCheck) shouldRefetch(p Payload, now time.Time) bool {
	at, ok := v.claim.FetchedAt(p)
	if !ok {
		return true
	}
	return v.maxAge > 0 && now.Sub(at) > v.maxAge
}
