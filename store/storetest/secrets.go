package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/ginsession/ginsession/store"
)

// secretChecks are the checks of Secrets, in the order RunSecrets runs them.
var secretChecks = []check{
	{"EnsureSecret", testEnsureSecret},
	{"EnsureSecretRace", one(testEnsureSecretRace)},
}

// RunSecrets runs the checks of Secrets against the stores open returns (see
// Run).
func RunSecrets(t *testing.T, open func(t *testing.T) store.Store) { runChecks(t, open, secretChecks) }

func testEnsureSecret(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := append([]byte{0}, randBytes(t, 31)...)
	for i, offer := range [][]byte{first, randBytes(t, 32), randBytes(t, 32)} {
		got, err := s.EnsureSecret(ctx, "csrf", offer)
		if err != nil {
			t.Fatal(err)
		}
		checkBytes(t, fmt.Sprintf("EnsureSecret call %d", i+1), got, first)
	}
	other := randBytes(t, 16)
	got, err := s.EnsureSecret(ctx, "other", other)
	if err != nil {
		t.Fatal(err)
	}
	checkBytes(t, "EnsureSecret(other)", got, other)
}

func testEnsureSecretRace(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	for round := range Rounds {
		name := fmt.Sprintf("secret-%d", round)
		offers := make([][]byte, Racers)
		for i := range offers {
			offers[i] = randBytes(t, 32)
		}
		got := make([][]byte, Racers)
		errs := race(Racers, func(i int) error {
			s := a
			if i%2 == 1 {
				s = b
			}
			var err error
			got[i], err = s.EnsureSecret(ctx, name, offers[i])
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: caller %d: %v", round, i, err)
			}
			if !bytes.Equal(got[i], got[0]) {
				t.Fatalf("round %d: callers 0 and %d got different secrets", round, i)
			}
		}
		if !slices.ContainsFunc(offers, func(o []byte) bool { return bytes.Equal(o, got[0]) }) {
			t.Fatalf("round %d: the secret is none of the offered values", round)
		}
	}
}
