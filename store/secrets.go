package store

import (
	"context"
)

// Secrets holds named secrets created once and shared by every instance
// (ginsession: the refresh-token secret when no MasterKey is configured).
type Secrets interface {
	// EnsureSecret stores value under name unless a value is already stored,
	// and returns the stored value. Racing callers all get the same value.
	EnsureSecret(ctx context.Context, name string, value []byte) ([]byte, error)
}
