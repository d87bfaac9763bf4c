// Package interop checks ginsession's access tokens with verifiers nobody
// here wrote: github.com/coreos/go-oidc/v3 discovers the issuer, fetches
// the keys and verifies the tokens, and picks up a key rotation; the real
// supertokens-node (npm, interop/node) verifies ginsession's sessions
// through Sessions.MountCoreCompat in a Node process. Without node or
// interop/node/node_modules (`cd interop/node && npm ci`) that test skips,
// and fails under CI=true.
//
// It is a module of its own (like bench/), so the main module does not
// depend on the verifiers: apps that use ginsession never download them.
// Run it with `cd interop && go test ./...`; .ci/run does.
package interop
