package sessionhandle

import "testing"

func TestNewFormatsAsValid(t *testing.T) {
	for range 100 {
		b, err := New()
		if err != nil {
			t.Fatal(err)
		}
		h := Format(b[:])
		if !Valid(h) {
			t.Fatalf("Format(New()) = %q is not Valid", h)
		}
		if h[14] != '4' {
			t.Fatalf("%q is not marked version 4", h)
		}
	}
}

func TestValidRefusesOtherText(t *testing.T) {
	for _, h := range []string{
		"",
		"0123456789abcdef0123456789abcdef",        // no dashes
		"01234567-89ab-cdef-0123-456789ABCDEF",    // upper case
		"01234567-89ab-cdef-0123-456789abcdef0",   // one too long
		"01234567-89ab-cdef-0123_456789abcdef",    // a dash replaced
		"01234567-89ab-cdef-0123-456789abcde\x00", // NUL
	} {
		if Valid(h) {
			t.Errorf("Valid(%q) = true", h)
		}
	}
	if !Valid("01234567-89ab-cdef-0123-456789abcdef") {
		t.Error("a well-formed handle is refused")
	}
}

// TestBytesInvertsFormat: Bytes gives back what Format wrote, and refuses
// what Valid refuses.
func TestBytesInvertsFormat(t *testing.T) {
	for i := 0; i < 100; i++ {
		b, err := New()
		if err != nil {
			t.Fatal(err)
		}
		got, ok := Bytes(Format(b[:]))
		if !ok || got != b {
			t.Fatalf("Bytes(Format(%x)) = %x, %v", b, got, ok)
		}
	}
	for _, bad := range []string{"", "not a handle", "0123456789ab-cdef-0123-456789abcdef0", "ABCDEF01-2345-4678-9abc-def012345678"} {
		if _, ok := Bytes(bad); ok {
			t.Fatalf("Bytes(%q) accepted", bad)
		}
	}
}
