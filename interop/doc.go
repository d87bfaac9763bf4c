// Package interop checks ginsession's access tokens with verifiers nobody
// here wrote: github.com/coreos/go-oidc/v3 discovers the issuer, fetches
// the keys and verifies the tokens, and picks up a key rotation.
//
// It is a module of its own (like bench/), so the main module does not
// depend on the verifiers: apps that use ginsession never download them.
// Run it with `cd interop && go test ./...`; .ci/run does.
package interop
