package fleet

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"
)

// Revocation latency, measured from outside: a sampler signs in on
// instance A, checks that instance B accepts the access token, signs out on
// A, and from the moment the sign-out answer arrives polls GET /api/me with
// the old access token on B every pollEvery until B refuses it. The
// latency is the time from the sign-out answer to B's first 401
// "unauthorised". With 2 s access tokens (exp in whole seconds: 1 to 2 s of
// life) a revocation that takes longer than the token's remaining life
// ends in "try refresh token" instead: the sample is kept as expired (its
// latency only a lower bound). It is a failure when the token still had
// expiredFailsAbove of life at the sign-out answer (the revocation took
// longer than that: push and polling both missed it) and the database was
// neither down nor just back (the instances then learn revocations by
// polling, after a back-off of up to 5 s); with less life left it proves
// nothing either way.

const (
	pollEvery      = 2 * time.Millisecond
	samplers       = 2
	minRevSamples  = 50
	maxRevWait     = 10 * time.Second
	revDegradedFor = 10 * time.Second // after the database is back
	// expiredFailsAbove is twice the instances' revocation poll interval
	// (250 ms): a revocation slower than that was missed by the push and
	// by a poll.
	expiredFailsAbove = 500 * time.Millisecond
)

type revSample struct {
	latency time.Duration
	at      time.Time     // the sign-out answer
	expired bool          // the token expired before B refused it as revoked
	left    time.Duration // the token's life left at the sign-out answer
	a, b    int
}

func (f *fleet) sampleRevocations(ctx context.Context, email, password string, out chan<- revSample) {
	for ctx.Err() == nil {
		a := f.pick(-1)
		b := a
		if len(f.ins) > 1 {
			b = f.pick(a.idx)
		}
		r, err := f.signInAt(ctx, revocation, a, "/signin", email, password, false)
		if err != nil {
			if ctx.Err() == nil {
				f.note("revocation sampler: %v", err)
				sleep(ctx, 100*time.Millisecond)
			}
			continue
		}
		access, signedIn, signInTook := r.header.Get("St-Access-Token"), r.recv, r.recv.Sub(r.sent)
		bearer := map[string]string{"Authorization": "Bearer " + access, "st-auth-mode": "header", "rid": "session"}
		// B has seen the token valid.
		r, err = f.do(ctx, revocation, b, request{method: http.MethodGet, path: "/api/me", header: bearer})
		if err != nil || r.status != http.StatusOK {
			if err == nil && r.status != http.StatusServiceUnavailable {
				f.note("revocation sampler: GET /api/me on instance %d before sign-out: %d %s (%v after the sign-in on instance %d answered, which took %v; the token expires %v after it)",
					b.idx, r.status, truncate(string(r.body), 120), r.recv.Sub(signedIn).Round(time.Millisecond), a.idx,
					signInTook.Round(time.Millisecond), tokenExpiry(access).Sub(signedIn).Round(time.Millisecond))
			}
			continue
		}
		r, err = f.do(ctx, revocation, a, request{method: http.MethodPost, path: "/auth/signout", header: bearer})
		if err != nil {
			continue
		}
		if r.status != http.StatusOK {
			if r.status == http.StatusServiceUnavailable {
				sleep(ctx, retryAfter(r))
			} else if r.status != http.StatusUnauthorized { // 401: the 2 s token expired meanwhile
				f.note("revocation sampler: sign-out on instance %d: %d %s", a.idx, r.status, truncate(string(r.body), 120))
			}
			continue
		}
		signedOut := r.recv
		for ctx.Err() == nil {
			r, err := f.do(ctx, revocation, b, request{method: http.MethodGet, path: "/api/me", header: bearer})
			if err != nil {
				break // B went down: no sample
			}
			switch {
			case r.status == http.StatusOK && r.recv.Sub(signedOut) < maxRevWait:
				time.Sleep(pollEvery)
				continue
			case r.status == http.StatusUnauthorized && r.message == "unauthorised":
				out <- revSample{latency: r.recv.Sub(signedOut), at: signedOut, a: a.idx, b: b.idx}
			case r.status == http.StatusUnauthorized && r.message == "try refresh token":
				out <- revSample{latency: r.recv.Sub(signedOut), at: signedOut, expired: true,
					left: tokenExpiry(access).Sub(signedOut), a: a.idx, b: b.idx}
			default:
				f.note("revocation sampler: GET /api/me on instance %d after sign-out on %d: %d %s after %v",
					b.idx, a.idx, r.status, truncate(string(r.body), 120), r.recv.Sub(signedOut).Round(time.Millisecond))
			}
			break
		}
	}
}

// percentile returns the p-th percentile (0-100) of sorted durations,
// nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}

// revocationFigures sums up the samples: p50 and p99 of the revocations
// seen (the expired samples are lower bounds and are listed apart).
// The p99 away from the restart leaves out the samples signed out while
// the database was down or within revDegradedFor of its return, when the
// instances' listening connections reconnect (with back-off) and polling
// covers.
type revocationFigures struct {
	seen     []time.Duration // sorted
	expired  []revSample
	p50, p99 time.Duration
	p99Away  time.Duration
}

func summariseRevocations(samples []revSample, down window) revocationFigures {
	var fig revocationFigures
	var away []time.Duration
	for _, s := range samples {
		if s.expired {
			fig.expired = append(fig.expired, s)
			continue
		}
		fig.seen = append(fig.seen, s.latency)
		if !down.overlaps(s.at, s.at.Add(s.latency), revDegradedFor) {
			away = append(away, s.latency)
		}
	}
	sort.Slice(fig.seen, func(i, j int) bool { return fig.seen[i] < fig.seen[j] })
	sort.Slice(away, func(i, j int) bool { return away[i] < away[j] })
	fig.p50, fig.p99 = percentile(fig.seen, 50), percentile(fig.seen, 99)
	fig.p99Away = percentile(away, 99)
	return fig
}

func (fig revocationFigures) String() string {
	s := fmt.Sprintf("%s / %s (%d; %s)", ms(fig.p50), ms(fig.p99), len(fig.seen), ms(fig.p99Away))
	if len(fig.expired) > 0 {
		s += fmt.Sprintf(" +%d expired first", len(fig.expired))
	}
	return s
}

func ms(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
}
