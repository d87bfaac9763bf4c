package ginsession

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Metric names, units and attribute values. They are part of the public
// contract (dashboards and alerts are built on them) and are listed in the
// docs/metrics.md; change them only with a note there.
const (
	meterName = "github.com/ginsession/ginsession"

	metricSessionsCreated = "ginsession.sessions.created"
	metricRefreshes       = "ginsession.refreshes"
	metricVerifications   = "ginsession.verifications"
	metricRevocations     = "ginsession.revocations"
	metricRevocationLag   = "ginsession.revocation.propagation"
	metricStoreDuration   = "ginsession.store.duration"
	metricDeviceBindings  = "ginsession.device_bindings"
)

// Outcomes and kinds, the values of the metrics' attributes.
const (
	refreshRotated      = "rotated"
	refreshGraceRetry   = "grace_retry"
	refreshUnauthorised = "unauthorised"
	refreshTheft        = "theft"
	refreshError        = "error"

	verifyOK            = "ok"
	verifyNoSession     = "no_session" // Optional route, no token
	verifyUnauthorised  = "unauthorised"
	verifyTryRefresh    = "try_refresh"
	verifyInvalidClaims = "invalid_claims"
	verifyError         = "error"

	createdUser          = "user"
	createdAnonymous     = "anonymous"
	createdImpersonation = "impersonation"

	revokedSignOut = "sign_out"
	revokedByApp   = "revoked"
	revokedTheft   = "theft"
	revokedLimit   = "limit" // evicted by Config.MaxSessionsPerUser

	// Config.DeviceBoundSessions: what happened at which step.
	bindOffered         = "offered"          // a sign-in response offered registration
	bindRegistered      = "registered"       // a browser registered its key
	bindChallenged      = "challenged"       // the DBSC refresh route asked for a proof
	bindProven          = "proven"           // a proof was accepted and a bound cookie issued
	bindRefusedRegister = "refused_register" // a registration was refused
	bindRefusedProof    = "refused_proof"    // a refresh proof was refused
	bindRefusedRefresh  = "refused_refresh"  // a bound session's refresh came without its bound cookie
	bindError           = "error"            // the store failed
)

// metrics holds the engine's instruments. With the default no-op provider
// every call is a no-op that allocates nothing.
type metrics struct {
	created       metric.Int64Counter
	refreshes     metric.Int64Counter
	verifications metric.Int64Counter
	revocations   metric.Int64Counter
	lag           metric.Float64Histogram
	storeDuration metric.Float64Histogram
	bindings      metric.Int64Counter

	// Attribute sets by value, built once, so recording allocates nothing:
	// the outcome of refreshes and verifications, the kind of created
	// sessions, the cause of revocations.
	// Kept as ready slices: passing one with ... allocates nothing, where a
	// variadic argument list would be copied to the heap on every call.
	outcome, kind, cause, bindOutcome map[string][]metric.AddOption

	// off: no MeterProvider was configured, so nothing is recorded and the
	// verify path, which runs on every request, skips even the no-op calls.
	off bool
}

func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	off := mp == nil
	if off {
		mp = noop.NewMeterProvider()
	}
	m := mp.Meter(meterName)
	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	out := &metrics{
		outcome: attributeSets("outcome", refreshRotated, refreshGraceRetry, refreshUnauthorised, refreshTheft, refreshError,
			verifyOK, verifyNoSession, verifyTryRefresh, verifyInvalidClaims),
		kind:  attributeSets("kind", createdUser, createdAnonymous, createdImpersonation),
		cause: attributeSets("cause", revokedSignOut, revokedByApp, revokedTheft, revokedLimit),
		off:   off,
		bindOutcome: attributeSets("outcome", bindOffered, bindRegistered, bindChallenged, bindProven,
			bindRefusedRegister, bindRefusedProof, bindRefusedRefresh, bindError),
	}
	var err error
	out.created, err = m.Int64Counter(metricSessionsCreated, metric.WithUnit("{session}"),
		metric.WithDescription("Sessions created, by kind (user, anonymous, impersonation)."))
	check(err)
	out.refreshes, err = m.Int64Counter(metricRefreshes, metric.WithUnit("{refresh}"),
		metric.WithDescription("Refresh requests, by outcome: rotated, grace_retry (the previous token again inside the grace window), unauthorised, theft, error (the store failed)."))
	check(err)
	out.verifications, err = m.Int64Counter(metricVerifications, metric.WithUnit("{request}"),
		metric.WithDescription("Session verifications (Verify, GetSession, sign-out, CreateFromAnonymous), by outcome: ok, no_session (an Optional route without a token), unauthorised, try_refresh, invalid_claims, error."))
	check(err)
	out.revocations, err = m.Int64Counter(metricRevocations, metric.WithUnit("{session}"),
		metric.WithDescription("Sessions revoked by this instance, by cause: sign_out, revoked (by the app), theft, limit (evicted by the per-user cap)."))
	check(err)
	out.lag, err = m.Float64Histogram(metricRevocationLag, metric.WithUnit("s"),
		metric.WithDescription("How long after another instance revoked a session this instance learned of it (its clock minus the revoking instance's)."),
		metric.WithExplicitBucketBoundaries(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
	check(err)
	out.storeDuration, err = m.Float64Histogram(metricStoreDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of store calls, by operation and outcome (ok, error)."),
		metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
	check(err)
	out.bindings, err = m.Int64Counter(metricDeviceBindings, metric.WithUnit("{event}"),
		metric.WithDescription("Device Bound Session Credentials events, by outcome: offered, registered, challenged, proven, refused_register, refused_proof, refused_refresh (a bound session refreshing without its bound cookie), error."))
	check(err)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func (m *metrics) binding(outcome string) {
	m.bindings.Add(context.Background(), 1, m.bindOutcome[outcome]...)
}

// attributeSets builds the options of key=v for every value.
func attributeSets(key string, values ...string) map[string][]metric.AddOption {
	out := make(map[string][]metric.AddOption, len(values))
	for _, v := range values {
		out[v] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String(key, v)))}
	}
	return out
}

func (m *metrics) sessionCreated(kind string) {
	m.created.Add(context.Background(), 1, m.kind[kind]...)
}

func (m *metrics) refreshed(err error, retry bool) {
	outcome := refreshRotated
	var theft *TheftError
	switch {
	case err == nil && retry:
		outcome = refreshGraceRetry
	case err == nil:
	case errors.As(err, &theft):
		outcome = refreshTheft
	case errors.Is(err, ErrUnauthorised):
		outcome = refreshUnauthorised
	default:
		outcome = refreshError
	}
	m.refreshes.Add(context.Background(), 1, m.outcome[outcome]...)
}

func (m *metrics) verified(s *Session, err error) {
	if m.off {
		return
	}
	outcome := verifyOK
	switch {
	case err == nil && s == nil:
		outcome = verifyNoSession
	case err == nil:
	case errors.Is(err, ErrInvalidClaims):
		outcome = verifyInvalidClaims
	case errors.Is(err, ErrTryRefreshToken):
		outcome = verifyTryRefresh
	case errors.Is(err, ErrUnauthorised):
		outcome = verifyUnauthorised
	default:
		outcome = verifyError
	}
	m.verifications.Add(context.Background(), 1, m.outcome[outcome]...)
}

func (m *metrics) revoked(cause string, n int) {
	if n > 0 {
		m.revocations.Add(context.Background(), int64(n), m.cause[cause]...)
	}
}

func (m *metrics) learnedRevocation(lag time.Duration) {
	m.lag.Record(context.Background(), max(lag, 0).Seconds())
}
