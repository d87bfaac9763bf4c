// Package protocol decides what a refresh request means, with no HTTP in
// sight: which of the presented refresh tokens count, the rotation state
// machine (rotate, a retry inside the grace window, theft, a restored
// database, a session that is gone), requests whose tokens name several
// sessions, and what the answer must clear. It answers in values — an
// Outcome holding the rotation to issue, the thefts found, what to clear and
// the error — and the HTTP side (ginsession's refresh adapter) only reads
// the request into a Request and writes the Outcome back.
//
// It reads and writes sessions through the store's rows (Sessions), so the
// state machine runs against any store, memstore included; Classify, the
// heart of it, is a pure function of a row and a token.
//
// docs/protocol.md §7 is the account of the rules implemented here;
// docs/architecture.md shows where this package sits.
package protocol
