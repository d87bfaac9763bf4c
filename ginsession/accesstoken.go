package ginsession

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ginsession/ginsession/internal/accesstoken"
)

// mintAccess signs an access token for a session (internal/accesstoken
// mints it); a payload too large to verify is the caller's ErrInvalidInput.
func (e *Sessions) mintAccess(ctx context.Context, userID, handle string, appPayload map[string]any, created time.Time) (string, map[string]any, time.Time, error) {
	tok, payload, exp, err := e.tokens.Mint(ctx, userID, handle, appPayload, created)
	if tooLong := (*accesstoken.TooLongError)(nil); errors.As(err, &tooLong) {
		return "", nil, time.Time{}, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	return tok, payload, exp, err
}
