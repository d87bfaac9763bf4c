package refreshtoken

import (
	"bytes"
	"testing"

	"github.com/ginsession/ginsession/internal/sessionhandle"
)

// A one-character change to a genuine token is always rejected, and so is a
// genuine token under another server key.
func TestTamperAlwaysRejected(t *testing.T) {
	k := NewKeys([]byte("another secret, another secret!!"))
	h, _ := sessionhandle.New()
	tok, _ := k.New(h)
	s := tok.String()
	if _, ok := k.Parse(s); !ok {
		t.Fatal("genuine token rejected")
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(s); i++ {
		for _, r := range []byte{alphabet[0], alphabet[len(alphabet)-1], alphabet[30]} {
			if s[i] == r {
				continue
			}
			m := s[:i] + string(r) + s[i+1:]
			if _, ok := k.Parse(m); ok {
				// The last character carries padding bits that strict
				// decoding refuses; anything accepted must be the same bytes.
				t.Fatalf("tampered token accepted at position %d", i)
			}
		}
	}
	other := NewKeys([]byte("a different secret entirely!!!!!"))
	if _, ok := other.Parse(s); ok {
		t.Fatal("token accepted under another server key")
	}
}

// The lineage: a child keeps the handle, counts one more generation, and is
// the same token however often it is derived.
func TestChildIsDeterministic(t *testing.T) {
	k := NewKeys([]byte("another secret, another secret!!"))
	h, _ := sessionhandle.New()
	tok, _ := k.New(h)
	child := k.Child(tok)
	if child.Handle != tok.Handle || child.Generation != tok.Generation+1 || k.Child(tok).String() != child.String() {
		t.Fatal("child derivation is not deterministic or breaks the lineage")
	}
	if bytes.Equal(child.Hash(), tok.Hash()) {
		t.Fatal("a child hashes like its parent")
	}
}

// Tokens of an accepted older secret are authenticated; their children are
// issued under the current secret, which the old keys alone no longer accept.
func TestAcceptedSecretMovesToCurrent(t *testing.T) {
	oldSecret := []byte("the old secret, the old secret!!")
	old := NewKeys(oldSecret)
	h, _ := sessionhandle.New()
	tok, _ := old.New(h)
	cur := NewKeys([]byte("the new secret, the new secret!!"), oldSecret)
	parsed, ok := cur.Parse(tok.String())
	if !ok {
		t.Fatal("a token of an accepted secret is refused")
	}
	child := cur.Child(parsed)
	if _, ok := cur.Parse(child.String()); !ok {
		t.Fatal("the child is refused by the keys that issued it")
	}
	if _, ok := old.Parse(child.String()); ok {
		t.Fatal("the child was issued under the old secret")
	}
	if NewKeys([]byte("the new secret, the new secret!!")).Authentic(tok.String()) {
		t.Fatal("a token of a secret no longer accepted is authentic")
	}
}

func TestShaped(t *testing.T) {
	k := NewKeys([]byte("shape secret, shape secret, sh!!"))
	h, _ := sessionhandle.New()
	tok, _ := k.New(h)
	if !Shaped(tok.String()) {
		t.Fatal("a genuine token is not Shaped")
	}
	for _, v := range []string{"", tok.String()[1:], tok.String() + "A", tok.String()[:Len-1] + "=", tok.String()[:Len-1] + "+"} {
		if Shaped(v) {
			t.Errorf("Shaped(%q) = true", v)
		}
	}
}
