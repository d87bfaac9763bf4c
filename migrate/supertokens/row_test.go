package supertokens

import (
	"database/sql"
	"strings"
	"testing"
	"time"
)

func TestCoreRowBecomesASessionOrSaysWhyNot(t *testing.T) {
	now := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	good := coreRow{
		tenant: "public", handle: "0b8ad1f4-2c1e-4a57-8d0e-5f7c9b1e3a22", user: "user-1",
		hash2:   strings.Repeat("ab", 32),
		data:    sql.NullString{String: `{"a":1}`, Valid: true},
		payload: sql.NullString{String: ` {"role":"admin"}`, Valid: true},
		expires: now.Add(time.Hour).UnixMilli(), created: now.Add(-time.Hour).UnixMilli(),
	}
	s, reason := good.session(now)
	if reason != "" || s.Handle != good.handle || len(s.RefreshHash) != 32 || s.RefreshHash[0] != 0xab ||
		string(s.Data) != `{"a":1}` || string(s.Payload) != `{"role":"admin"}` ||
		!s.ExpiresAt.Equal(now.Add(time.Hour)) || !s.CreatedAt.Equal(now.Add(-time.Hour)) || !s.RotatedAt.Equal(s.CreatedAt) {
		t.Fatalf("session %+v, reason %q", s, reason)
	}
	nulls := good
	nulls.data, nulls.payload = sql.NullString{}, sql.NullString{String: "null", Valid: true}
	if s, reason := nulls.session(now); reason != "" || string(s.Data) != "{}" || string(s.Payload) != "{}" {
		t.Fatalf("NULL columns: %+v %q", s, reason)
	}
	for _, c := range []struct {
		name   string
		edit   func(*coreRow)
		reason string
	}{
		{"Expired", func(r *coreRow) { r.expires = now.UnixMilli() }, "expired"},
		{"HashNotHex", func(r *coreRow) { r.hash2 = strings.Repeat("zz", 32) }, "refresh_token_hash_2 is not a SHA-256 hex digest"},
		{"HashShort", func(r *coreRow) { r.hash2 = "abcd" }, "refresh_token_hash_2 is not a SHA-256 hex digest"},
		{"PayloadArray", func(r *coreRow) { r.payload.String = `[1]` }, "jwt_user_payload is not a JSON object"},
		{"PayloadBroken", func(r *coreRow) { r.payload.String = `{"a":` }, "jwt_user_payload is not a JSON object"},
		{"DataString", func(r *coreRow) { r.data.String = `"x"` }, "session_data is not a JSON object"},
		{"UserWithNUL", func(r *coreRow) { r.user = "a\x00b" }, "session handle or user id is not valid text"},
		{"HandleNotUTF8", func(r *coreRow) { r.handle = "\xff" }, "session handle or user id is not valid text"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := good
			c.edit(&r)
			if _, reason := r.session(now); reason != c.reason {
				t.Fatalf("reason %q, want %q", reason, c.reason)
			}
		})
	}
}

func TestOptionsSelectTenants(t *testing.T) {
	var o Options
	o.defaults()
	if !o.selected("public") || o.selected("t1") || o.AppID != "public" || o.BatchSize != 1000 {
		t.Fatalf("defaults %+v", o)
	}
	all := Options{Tenants: []string{"*"}}
	all.defaults()
	if !all.selected("t1") || !all.allTenants() {
		t.Fatal("* does not select every tenant")
	}
	if (Cursor{}).String() != "" || (Cursor{Tenant: "t1", Handle: "h"}).String() != "t1/h" {
		t.Fatal("cursor text")
	}
}

func TestSourceRefusesBadNames(t *testing.T) {
	db := &sql.DB{}
	for _, s := range []Source{
		{},
		{DB: db, Dialect: "oracle"},
		{DB: db, Dialect: Postgres, TablePrefix: "x; DROP TABLE y"},
		{DB: db, Dialect: MySQL, Schema: "s"},
	} {
		if s.check() == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	ok := Source{DB: db, Dialect: Postgres, TablePrefix: "st_", Schema: "core"}
	if ok.check() != nil || ok.table("session_info") != "core.st_session_info" {
		t.Fatal(ok.table("session_info"))
	}
}
