package protocol

import (
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

// The state machine's decision, as a table: a row that has rotated twice
// (generation 2), its current hash "cur", previous hash "prev", rotated at t0.
func TestClassify(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const grace = 10 * time.Second
	row := &store.Session{RefreshHash: []byte("cur"), PrevRefreshHash: []byte("prev"), Generation: 2, RotatedAt: t0}
	fresh := &store.Session{RefreshHash: []byte("cur"), Generation: 0, RotatedAt: t0} // never rotated
	cases := []struct {
		name string
		row  *store.Session
		hash string
		gen  int64
		at   time.Duration // after t0
		want Verdict
	}{
		{"current token", row, "cur", 2, 0, Current},
		{"current token long after the rotation", row, "cur", 2, time.Hour, Current},
		{"previous token inside grace", row, "prev", 1, 5 * time.Second, Retry},
		{"previous token at the end of grace", row, "prev", 1, grace, Retry},
		{"previous token just after grace", row, "prev", 1, grace + time.Nanosecond, Stale},
		{"an older token", row, "older", 0, time.Second, Stale},
		{"an older token claiming the row's generation", row, "other", 2, time.Second, Stale},
		{"a newer token: database restored", row, "newer", 3, time.Second, Restored},
		{"never rotated, unknown older token", fresh, "prev", 0, time.Second, Stale},
		{"never rotated: no previous token to retry", fresh, "", 0, time.Second, Stale},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Classify(c.row, []byte(c.hash), c.gen, t0.Add(c.at), grace); got != c.want {
				t.Fatalf("Classify = %v, want %v", got, c.want)
			}
		})
	}
}
