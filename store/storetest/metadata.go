package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

// metadataChecks are the checks of the device metadata of a session row
// (created with it, written by a rotation), in the order RunMetadata runs
// them.
var metadataChecks = []check{
	{"MetadataRoundTrip", testMetadataRoundTrip},
	{"RotateWritesRefreshedMetadata", testRotateMetadata},
}

// RunMetadata runs the checks of the device metadata of a session row
// (created with it, written by a rotation) against the stores open returns
// (see Run).
func RunMetadata(t *testing.T, open func(t *testing.T) store.Store) {
	runChecks(t, open, metadataChecks)
}

// The bounds store.Session documents for the metadata texts, in bytes.
const (
	maxLabel     = 255
	maxUserAgent = 512
	maxIP        = 64
)

// fill returns s repeated and cut to exactly n bytes, without splitting a
// UTF-8 sequence (s is ASCII, or its runes are all as long as the cut).
func fill(s string, n int) string {
	out := strings.Repeat(s, n/len(s)+1)[:n]
	if len(out) != n {
		panic("fill")
	}
	return out
}

// testMetadataRoundTrip: the six metadata fields come back from GetSession
// and ListUserSessions as CreateSession was given them, empty, typical and
// at the documented bounds.
func testMetadataRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	// Multi-byte text up to the bounds in bytes.
	unicodeUA := "Мозилла/5.0 (Linux; Android 14; 日本語) 😀 "
	for len(unicodeUA)+len("ü") <= maxUserAgent {
		unicodeUA += "ü"
	}
	unicodeLabel := "Ноутбук Пети 💻 "
	for len(unicodeLabel)+len("é") <= maxLabel {
		unicodeLabel += "é"
	}
	cases := []struct {
		name string
		meta store.Session
	}{
		{"empty", store.Session{}},
		{"typical", store.Session{
			DeviceLabel: "Work laptop", CreatedUserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36",
			CreatedIP: "203.0.113.7", BrowserSessionOnly: true,
		}},
		{"not browser-only", store.Session{DeviceLabel: "Phone", CreatedUserAgent: "curl/8.5.0", CreatedIP: "::1"}},
		{"refreshed given at creation", store.Session{
			CreatedUserAgent: "a", CreatedIP: "192.0.2.1", RefreshedUserAgent: "b", RefreshedIP: "192.0.2.2",
		}},
		{"at the bounds", store.Session{
			DeviceLabel:        fill("label ", maxLabel),
			CreatedUserAgent:   fill("Mozilla/5.0 (Windows NT 10.0; Win64; x64) ", maxUserAgent),
			CreatedIP:          fill("fe80::1ff:fe23:4567:890a%", maxIP),
			RefreshedUserAgent: fill("Opera/9.80 ", maxUserAgent),
			RefreshedIP:        fill("2001:db8:85a3::8a2e:370:7334,", maxIP),
			BrowserSessionOnly: true,
		}},
		{"unicode", store.Session{
			DeviceLabel:      unicodeLabel,
			CreatedUserAgent: unicodeUA, CreatedIP: "198.51.100.1", RefreshedUserAgent: "日本語のブラウザ",
		}},
		{"sql", store.Session{DeviceLabel: "'); DROP TABLE sessions; --", CreatedUserAgent: `" OR 1=1 --`, CreatedIP: `\'`}},
	}
	want := map[string]*store.Session{}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := newSession(t, fmt.Sprintf("m-%d", i), "meta-user")
			in.CreatedAt = in.CreatedAt.Add(time.Duration(i) * time.Microsecond)
			in.DeviceLabel, in.CreatedUserAgent, in.CreatedIP = c.meta.DeviceLabel, c.meta.CreatedUserAgent, c.meta.CreatedIP
			in.RefreshedUserAgent, in.RefreshedIP = c.meta.RefreshedUserAgent, c.meta.RefreshedIP
			in.BrowserSessionOnly = c.meta.BrowserSessionOnly
			for _, v := range []string{in.DeviceLabel, in.CreatedUserAgent, in.CreatedIP, in.RefreshedUserAgent, in.RefreshedIP} {
				if len(v) > maxUserAgent {
					t.Fatalf("test text of %d bytes exceeds the bounds", len(v))
				}
			}
			if len(in.DeviceLabel) > maxLabel || len(in.CreatedIP) > maxIP || len(in.RefreshedIP) > maxIP {
				t.Fatalf("test text exceeds the bounds")
			}
			w := clone(in)
			want[in.Handle] = w
			create(t, s, in)
			checkSession(t, get(t, s, in.Handle), w)
		})
	}
	t.Run("listed", func(t *testing.T) {
		list, err := s.ListUserSessions(ctx, "meta-user", base)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != len(cases) {
			t.Fatalf("ListUserSessions: %d sessions, want %d", len(list), len(cases))
		}
		for i := range list {
			if w := want[list[i].Handle]; w == nil {
				t.Errorf("unexpected handle %q", list[i].Handle)
			} else {
				checkSession(t, &list[i], w)
			}
		}
	})
	// A backend may refuse these, but must never store them altered.
	for i, v := range []string{"nul\x00byte", "bad utf8 \xff\xfe"} {
		t.Run(fmt.Sprintf("strict-%d", i), func(t *testing.T) {
			in := newSession(t, fmt.Sprintf("strict-%d", i), "meta-user")
			in.CreatedUserAgent = v
			if err := s.CreateSession(ctx, in); err != nil {
				if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
					t.Fatalf("refusal must be a plain error, got %v", err)
				}
				if _, err := s.GetSession(ctx, in.Handle, base); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("after a refused create, GetSession err = %v, want ErrNotFound", err)
				}
				return
			}
			checkSession(t, get(t, s, in.Handle), in)
		})
	}
}

// testRotateMetadata: a rotation writes RefreshedUserAgent and RefreshedIP
// from the Rotation, "" included, and leaves DeviceLabel, the Created*
// fields and BrowserSessionOnly alone; the returned row has them all.
func testRotateMetadata(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, browserOnly := range []bool{true, false} {
		t.Run(fmt.Sprintf("BrowserSessionOnly=%v", browserOnly), func(t *testing.T) {
			in := newSession(t, fmt.Sprintf("rm-%v", browserOnly), "user-1")
			in.DeviceLabel = "Tablet ☕"
			in.CreatedUserAgent = "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X)"
			in.CreatedIP = "192.0.2.33"
			in.BrowserSessionOnly = browserOnly
			create(t, s, in)
			want := clone(in)
			current := in.RefreshHash
			for i, meta := range []struct{ ua, ip string }{
				{"Mozilla/5.0 (Macintosh) Safari/605.1.15 — “quoted” ünïcödé 😀", "2001:db8::42"},
				{fill("Edge/126 ", maxUserAgent), fill("::ffff:", maxIP)},
				{"", ""}, // unknown at this rotation: unknown, not the previous one
				{"curl/8.5.0", "203.0.113.9"},
			} {
				r := rotation(t, time.Duration(i)*time.Minute)
				r.UserAgent, r.IP = meta.ua, meta.ip
				got, err := s.RotateSession(ctx, in.Handle, current, r)
				if err != nil {
					t.Fatalf("rotation %d: %v", i, err)
				}
				current = r.NewRefreshHash
				want.PrevRefreshHash, want.RefreshHash = want.RefreshHash, r.NewRefreshHash
				want.Generation++
				want.RotatedAt, want.ExpiresAt = r.RotatedAt, r.ExpiresAt
				want.RefreshedUserAgent, want.RefreshedIP = meta.ua, meta.ip
				returned := clone(want)
				returned.Data = nil
				checkSession(t, got, returned)
				checkSession(t, get(t, s, in.Handle), want)
			}
			// A stale rotation writes no metadata either.
			r := rotation(t, time.Hour)
			r.UserAgent, r.IP = "stale", "stale"
			if _, err := s.RotateSession(ctx, in.Handle, in.RefreshHash, r); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("stale rotation: err = %v, want ErrConflict", err)
			}
			checkSession(t, get(t, s, in.Handle), want)
		})
	}
}
