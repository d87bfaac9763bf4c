// Package dbsc is ginsession's side of Device Bound Session Credentials
// (W3C webappsec-dbsc): the header values a server sends and reads, the
// checks of the browser's proof JWTs, the single-use challenges and the
// registered keys (kept in a store.DeviceBindings, so every instance of a
// fleet accepts a proof), and the short-lived bound cookie the refresh
// route requires of a bound session.
//
// It imports no HTTP package: the engine and package routes read and write
// the headers, this package decides.
//
// The flow, in the spec's terms. At sign-in the response that sets the
// session cookies carries Secure-Session-Registration with a challenge
// (Binder.Offer). The browser makes a key pair and POSTs a proof signed by
// it, with the public key in the JWT header (Binder.Register): the key is
// recorded for the session, and the bound cookie issued. When the bound
// cookie is missing the browser POSTs to the refresh URL with
// Sec-Secure-Session-Id; the server answers 403 with a fresh challenge
// (Binder.Challenge); the browser POSTs again with a proof of that
// challenge signed by the registered key (Binder.Refresh) and gets a new
// bound cookie. A proof never brings its key on refresh: a jwk in a
// refresh proof is refused, so a thief cannot swap in a key of its own.
package dbsc
