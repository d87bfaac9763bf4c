// Package stcore reads what a SuperTokens core leaves behind: its key
// strings, its V2 refresh tokens and its access tokens (versions 1 to 5),
// so that ginsession can take over a core's sessions without signing anyone
// out. docs/supertokens-core-formats.md describes the formats.
//
// The API is four calls and their values:
//
//   - ParseKeyPair reads a "<public>|<private>" key string of the core
//     (session_access_token_signing_keys.value, jwt_signing_keys.key_string);
//   - OpenRefreshToken decrypts a core refresh token with the app's
//     refresh-token key (key_value "refresh_token_key") and answers its
//     session handle, user id, nonce, parent hash and its own hash2;
//   - VerifyAccessToken checks a core access token's RS256 signature
//     against the imported public keys and reads its claims;
//   - Hash1 and Hash2 hash refresh tokens exactly as the core does
//     (session_info.refresh_token_hash_2 is Hash2 of the current token).
//
// RefreshToken.Accept applies the core's own rule for which token of a
// session may refresh: the current one, or its child not yet promoted.
//
// It imports neither Gin nor net/http, and writes nothing anywhere.
package stcore
