// Package supertokens takes a SuperTokens core's sessions over into a
// ginsession store, so that an application can leave the core without
// signing anybody out.
//
// Import reads the core's own tables (Postgres, or MySQL/MariaDB, as the
// core's storage plugins lay them out) and writes into any store.Store:
//
//   - every live session of the selected tenants: the core's handle, user
//     id, access-token payload (jwt_user_payload), session data, creation
//     and expiry times, and as the session's refresh hash the core's
//     refresh_token_hash_2 (hex-decoded), so that the core's refresh token
//     can rotate the session once;
//   - the core's access-token signing keys (dynamic, static, and a legacy
//     key not yet moved), as public keys for verifying the access tokens
//     the core issued, until those can no longer be valid;
//   - the app's refresh-token key, for decrypting the core's refresh tokens.
//
// It never writes to the core's database: it only runs SELECTs, each in a
// read-only transaction. It is idempotent (a session is imported once; a
// second run stores nothing and counts everything as already present; a
// session signed out since is not brought back), resumable (it reads in
// batches ordered by tenant and handle, and Options.After starts after a
// Cursor an earlier run reported), and has a dry run that writes nothing
// and reports what it would do. The Report says what was imported, what was
// already there, and what was skipped and why.
//
// The command ./cmd/supertokens-import runs it from the shell.
// docs/supertokens-core-formats.md describes the core's tables and formats.
package supertokens
