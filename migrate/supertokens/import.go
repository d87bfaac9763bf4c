package supertokens

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ginsession/ginsession/internal/sessionhandle"
	"github.com/ginsession/ginsession/internal/stcore"
	"github.com/ginsession/ginsession/store"
)

// Options tune an Import. The zero value imports the public tenant of the
// public app, with the core's default lifetimes.
type Options struct {
	// AppID is the core app to import ("public" when empty).
	AppID string
	// Tenants are the tenants whose sessions are imported: nil imports
	// "public" only; "*" imports every tenant. Sessions of the others are
	// counted in the report as skipped.
	Tenants []string
	// DryRun reads everything and writes nothing; the report counts what
	// would be imported.
	DryRun bool
	// BatchSize is how many sessions are read and written at a time
	// (1000 when 0).
	BatchSize int
	// After resumes an earlier run: only sessions after this position are
	// read (Report.Cursor of that run).
	After Cursor
	// Now is the time sessions and keys are judged expired at (time.Now
	// when zero).
	Now time.Time
	// AccessTokenValidity and DynamicKeyInterval are the core's
	// access_token_validity and access_token_dynamic_signing_key_update_interval
	// (1 hour and 168 hours when 0). Every imported access-token key is
	// kept until the core's last tokens have expired: AccessTokenValidity
	// (and a minute) after Now, since the core signs nothing after the
	// import; a dynamic key the core retired before that (DynamicKeyInterval
	// + 2·AccessTokenValidity after its creation) goes when it did.
	AccessTokenValidity time.Duration
	DynamicKeyInterval  time.Duration
	// Progress, when set, is called after each batch is written, with the
	// report so far (its Cursor says where to resume).
	Progress func(*Report)
}

func (o *Options) defaults() {
	if o.AppID == "" {
		o.AppID = "public"
	}
	if o.Tenants == nil {
		o.Tenants = []string{"public"}
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.AccessTokenValidity <= 0 {
		o.AccessTokenValidity = time.Hour
	}
	if o.DynamicKeyInterval <= 0 {
		o.DynamicKeyInterval = 168 * time.Hour
	}
}

func (o *Options) allTenants() bool { return len(o.Tenants) == 1 && o.Tenants[0] == "*" }

func (o *Options) selected(tenant string) bool {
	if o.allTenants() {
		return true
	}
	for _, t := range o.Tenants {
		if t == tenant {
			return true
		}
	}
	return false
}

// Import copies the core app's live sessions, access-token keys and
// refresh-token key from src into dst (see the package comment). It returns
// the report so far with any error, so that a failed run can be resumed
// from Report.Cursor.
//
// Import the sessions once the core no longer answers requests: a session
// the core rotates after it was imported keeps the hash it had, and the
// newer refresh token would then read as theft. Importing again stores
// only sessions not imported before.
func Import(ctx context.Context, src Source, dst store.Store, o Options) (*Report, error) {
	o.defaults()
	r := &Report{DryRun: o.DryRun, AppID: o.AppID, Tenants: map[string]int{}, Cursor: o.After}
	if err := src.check(); err != nil {
		return r, err
	}
	if dst == nil && !o.DryRun {
		return r, errors.New("supertokens: no store to import into")
	}
	imp := store.Importer(nil)
	if dst != nil {
		imp = store.ImporterOf(dst)
	}
	if imp == nil && !o.DryRun {
		return r, errors.New("supertokens: the store cannot keep imported keys (it has no store.Importer)")
	}
	w := &writer{ctx: ctx, o: &o, r: r, imp: imp}
	if err := importKeys(ctx, src, w); err != nil {
		return r, err
	}
	if err := countTenants(ctx, src, &o, r); err != nil {
		return r, err
	}
	if err := importSessions(ctx, src, w); err != nil {
		return r, err
	}
	return r, nil
}

// writer writes into the store, or only counts in a dry run.
type writer struct {
	ctx context.Context
	o   *Options
	r   *Report
	imp store.Importer
}

func (w *writer) key(k *store.ImportedKey, what string) error {
	w.r.Keys.Read++
	if !k.ExpiresAt.After(w.o.Now) {
		w.r.Keys.Skipped++
		w.r.skip(what, "expired")
		return nil
	}
	if w.o.DryRun {
		w.r.Keys.Imported++
		return nil
	}
	added, err := w.imp.ImportKey(w.ctx, k)
	if err != nil {
		return fmt.Errorf("supertokens: store %s: %w", what, err)
	}
	if added {
		w.r.Keys.Imported++
	} else {
		w.r.Keys.AlreadyPresent++
	}
	return nil
}

func (w *writer) badKey(what, reason string) {
	w.r.Keys.Read++
	w.r.Keys.Skipped++
	w.r.skip(what, reason)
}

func importKeys(ctx context.Context, src Source, w *writer) error {
	o := w.o
	issuer := stcore.KeyIssuer(o.AppID)
	verifyFor := o.DynamicKeyInterval + 2*o.AccessTokenValidity
	// The core, stopped before the import, signs nothing after it: its last
	// access tokens expire one validity after the import (and a minute of
	// clock skew). No key is kept longer, so a key that leaks with the
	// core's database later signs nothing ginsession accepts.
	lastToken := o.Now.Add(o.AccessTokenValidity + time.Minute)
	publicKey := func(id, text string, created, expires time.Time, what string) error {
		if expires.After(lastToken) {
			expires = lastToken
		}
		kp, err := stcore.ParseKeyPair(text)
		if err != nil {
			w.badKey(what, "key does not parse: "+err.Error())
			return nil
		}
		return w.key(&store.ImportedKey{ID: id, Issuer: issuer, Algorithm: "RS256", Key: kp.PublicDER,
			CreatedAt: created, ExpiresAt: expires}, what)
	}
	var keys []func() error
	err := src.query(ctx, "SELECT created_at_time, value FROM "+src.table("session_access_token_signing_keys")+" WHERE app_id = ?",
		[]any{o.AppID}, func(rows *sql.Rows) error {
			var ms int64
			var v sql.NullString
			if err := rows.Scan(&ms, &v); err != nil {
				return err
			}
			created := time.UnixMilli(ms)
			id := "d-" + strconv.FormatInt(ms, 10)
			keys = append(keys, func() error { return publicKey(id, v.String, created, created.Add(verifyFor), "dynamic key "+id) })
			return nil
		})
	if err != nil {
		return err
	}
	err = src.query(ctx, "SELECT key_id, key_string, algorithm, created_at FROM "+src.table("jwt_signing_keys")+" WHERE app_id = ?",
		[]any{o.AppID}, func(rows *sql.Rows) error {
			var id, text, alg string
			var ms sql.NullInt64
			if err := rows.Scan(&id, &text, &alg, &ms); err != nil {
				return err
			}
			what := "static key " + id
			if !strings.EqualFold(alg, "RS256") {
				keys = append(keys, func() error { w.badKey(what, "algorithm "+alg+" is not RS256"); return nil })
				return nil
			}
			created := time.UnixMilli(ms.Int64)
			keys = append(keys, func() error { return publicKey(id, text, created, lastToken, what) })
			return nil
		})
	if err != nil {
		return err
	}
	var refreshKey string
	err = src.query(ctx, "SELECT name, value, created_at_time FROM "+src.table("key_value")+
		" WHERE app_id = ? AND tenant_id = 'public' AND name IN ('refresh_token_key', 'access_token_signing_key')",
		[]any{o.AppID}, func(rows *sql.Rows) error {
			var name string
			var v sql.NullString
			var ms sql.NullInt64
			if err := rows.Scan(&name, &v, &ms); err != nil {
				return err
			}
			if name == "refresh_token_key" {
				refreshKey = v.String
				return nil
			}
			created := time.UnixMilli(ms.Int64)
			id := "legacy-" + strconv.FormatInt(ms.Int64, 10)
			keys = append(keys, func() error {
				return publicKey(id, v.String, created, created.Add(verifyFor), "legacy access-token key "+id)
			})
			return nil
		})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := k(); err != nil {
			return err
		}
	}
	if refreshKey == "" {
		w.badKey("refresh-token key", "missing in key_value: the core's refresh tokens cannot be accepted")
		return nil
	}
	var last sql.NullInt64
	err = src.query(ctx, "SELECT MAX(expires_at) FROM "+src.table("session_info")+" WHERE app_id = ?",
		[]any{o.AppID}, func(rows *sql.Rows) error { return rows.Scan(&last) })
	if err != nil {
		return err
	}
	return w.key(&store.ImportedKey{ID: stcore.RefreshKeyID(o.AppID), Issuer: issuer, Algorithm: stcore.AlgRefreshV2,
		Key: []byte(refreshKey), CreatedAt: o.Now, ExpiresAt: time.UnixMilli(last.Int64)}, "refresh-token key")
}

func countTenants(ctx context.Context, src Source, o *Options, r *Report) error {
	return src.query(ctx, "SELECT tenant_id, COUNT(*) FROM "+src.table("session_info")+" WHERE app_id = ? GROUP BY tenant_id",
		[]any{o.AppID}, func(rows *sql.Rows) error {
			var t string
			var n int
			if err := rows.Scan(&t, &n); err != nil {
				return err
			}
			r.Tenants[t] = n
			if !o.selected(t) {
				r.Sessions.Skipped += n
				if r.Skipped == nil {
					r.Skipped = map[string]int{}
				}
				r.Skipped["tenant not selected"] += n
				r.Examples = append(r.Examples, Skip{What: "tenant " + t, Reason: fmt.Sprintf("not selected (%d sessions)", n)})
			}
			return nil
		})
}

func importSessions(ctx context.Context, src Source, w *writer) error {
	o := w.o
	q := "SELECT tenant_id, session_handle, user_id, refresh_token_hash_2, session_data, expires_at, created_at_time, jwt_user_payload FROM " +
		src.table("session_info") + " WHERE app_id = ?"
	base := []any{o.AppID}
	if !o.allTenants() {
		q += " AND tenant_id IN (?" + strings.Repeat(", ?", len(o.Tenants)-1) + ")"
		for _, t := range o.Tenants {
			base = append(base, t)
		}
	}
	// The position after the cursor: a row comparison on Postgres, which
	// its primary-key index answers as a range; the same test spelled out
	// on MySQL, whose optimiser may not.
	after := " AND (tenant_id, session_handle) > (?, ?)"
	if src.Dialect == MySQL {
		after = " AND (tenant_id > ? OR (tenant_id = ? AND session_handle > ?))"
	}
	q += after + " ORDER BY tenant_id, session_handle LIMIT " + strconv.Itoa(o.BatchSize)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		cur := w.r.Cursor
		var batch []store.Session
		read := 0
		args := append(base[:len(base):len(base)], cur.Tenant, cur.Handle)
		if src.Dialect == MySQL {
			args = append(base[:len(base):len(base)], cur.Tenant, cur.Tenant, cur.Handle)
		}
		err := src.query(ctx, q, args, func(rows *sql.Rows) error {
			var c coreRow
			if err := rows.Scan(&c.tenant, &c.handle, &c.user, &c.hash2, &c.data, &c.expires, &c.created, &c.payload); err != nil {
				return err
			}
			read++
			cur = Cursor{Tenant: c.tenant, Handle: c.handle}
			s, reason := c.session(o.Now)
			if reason != "" {
				w.r.Sessions.Skipped++
				w.r.skip("session "+c.handle, reason)
				return nil
			}
			batch = append(batch, *s)
			return nil
		})
		if err != nil {
			return err
		}
		if read == 0 {
			return nil
		}
		w.r.Sessions.Read += read
		if err := w.sessions(batch); err != nil {
			return err
		}
		w.r.Cursor = cur
		if o.Progress != nil {
			o.Progress(w.r)
		}
		if read < o.BatchSize {
			return nil
		}
	}
}

func (w *writer) sessions(batch []store.Session) error {
	if len(batch) == 0 {
		return nil
	}
	if w.o.DryRun {
		w.r.Sessions.Imported += len(batch)
		return nil
	}
	n, err := w.imp.ImportSessions(w.ctx, batch)
	if err != nil {
		return fmt.Errorf("supertokens: store sessions after %s: %w", w.r.Cursor, err)
	}
	w.r.Sessions.Imported += n
	w.r.Sessions.AlreadyPresent += len(batch) - n
	return nil
}

// coreRow is one session_info row as read.
type coreRow struct {
	tenant, handle, user, hash2 string
	data, payload               sql.NullString
	expires, created            int64
}

// session turns the row into a ginsession session, or says why not.
func (c *coreRow) session(now time.Time) (*store.Session, string) {
	expires, created := time.UnixMilli(c.expires), time.UnixMilli(c.created)
	if !expires.After(now) {
		return nil, "expired"
	}
	if !validText(c.handle) || !validText(c.user) {
		return nil, "session handle or user id is not valid text"
	}
	if !sessionhandle.Valid(c.handle) {
		// The core names a session of another tenant "<uuid>_<tenant>":
		// ginsession's tokens, routes and admin calls take a UUID, so its
		// refresh token could never be accepted.
		return nil, "session handle is not a UUID (a tenant other than public): cannot be taken over"
	}
	hash, err := hex.DecodeString(c.hash2)
	if err != nil || len(hash) != 32 {
		return nil, "refresh_token_hash_2 is not a SHA-256 hex digest"
	}
	payload, ok := jsonObject(c.payload)
	if !ok {
		return nil, "jwt_user_payload is not a JSON object"
	}
	data, ok := jsonObject(c.data)
	if !ok {
		return nil, "session_data is not a JSON object"
	}
	return &store.Session{
		Handle: c.handle, UserID: c.user, RefreshHash: hash,
		RotatedAt: created, ExpiresAt: expires, CreatedAt: created,
		Payload: payload, Data: data,
	}, ""
}

func validText(s string) bool {
	return s != "" && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// jsonObject answers the column's JSON object; NULL or empty is {}.
func jsonObject(v sql.NullString) ([]byte, bool) {
	s := strings.TrimSpace(v.String)
	if !v.Valid || s == "" || s == "null" {
		return []byte("{}"), true
	}
	var obj map[string]json.RawMessage
	if !strings.HasPrefix(s, "{") || json.Unmarshal([]byte(s), &obj) != nil {
		return nil, false
	}
	return []byte(s), true
}
