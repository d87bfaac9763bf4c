package stcoretest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Dialect is "postgres" or "mysql" (MySQL and MariaDB).
type Dialect string

// The dialects of the core's storage plugins.
const (
	Postgres Dialect = "postgres"
	MySQL    Dialect = "mysql"
)

// DDL returns the statements that create the core's tables this package
// fills (apps, tenants, session_info, session_access_token_signing_keys,
// jwt_signing_keys, key_value), with the columns, keys and foreign keys the
// core's storage plugins give them, each name after prefix.
func DDL(d Dialect, prefix string) []string {
	big := "BIGINT"
	if d == MySQL {
		big = "BIGINT UNSIGNED"
	}
	p := prefix
	return []string{
		`CREATE TABLE ` + p + `apps (app_id VARCHAR(64) NOT NULL DEFAULT 'public', created_at_time ` + big + `, PRIMARY KEY (app_id))`,
		`CREATE TABLE ` + p + `tenants (app_id VARCHAR(64) NOT NULL DEFAULT 'public', tenant_id VARCHAR(64) NOT NULL DEFAULT 'public',
			created_at_time ` + big + `, PRIMARY KEY (app_id, tenant_id),
			FOREIGN KEY (app_id) REFERENCES ` + p + `apps (app_id) ON DELETE CASCADE)`,
		`CREATE TABLE ` + p + `session_info (app_id VARCHAR(64) DEFAULT 'public', tenant_id VARCHAR(64) DEFAULT 'public',
			session_handle VARCHAR(255) NOT NULL, user_id VARCHAR(128) NOT NULL, refresh_token_hash_2 VARCHAR(128) NOT NULL,
			session_data TEXT, expires_at ` + big + ` NOT NULL, created_at_time ` + big + ` NOT NULL, jwt_user_payload TEXT,
			use_static_key BOOLEAN NOT NULL, PRIMARY KEY (app_id, tenant_id, session_handle),
			FOREIGN KEY (app_id, tenant_id) REFERENCES ` + p + `tenants (app_id, tenant_id) ON DELETE CASCADE)`,
		`CREATE INDEX ` + p + `session_expiry_index ON ` + p + `session_info (expires_at)`,
		`CREATE TABLE ` + p + `session_access_token_signing_keys (app_id VARCHAR(64) DEFAULT 'public',
			created_at_time ` + big + ` NOT NULL, value TEXT, PRIMARY KEY (app_id, created_at_time),
			FOREIGN KEY (app_id) REFERENCES ` + p + `apps (app_id) ON DELETE CASCADE)`,
		`CREATE TABLE ` + p + `jwt_signing_keys (app_id VARCHAR(64) DEFAULT 'public', key_id VARCHAR(255) NOT NULL,
			key_string TEXT NOT NULL, algorithm VARCHAR(10) NOT NULL, created_at ` + big + `, PRIMARY KEY (app_id, key_id),
			FOREIGN KEY (app_id) REFERENCES ` + p + `apps (app_id) ON DELETE CASCADE)`,
		`CREATE TABLE ` + p + `key_value (app_id VARCHAR(64) DEFAULT 'public', tenant_id VARCHAR(64) DEFAULT 'public',
			name VARCHAR(128), value TEXT, created_at_time ` + big + `, PRIMARY KEY (app_id, tenant_id, name),
			FOREIGN KEY (app_id, tenant_id) REFERENCES ` + p + `tenants (app_id, tenant_id) ON DELETE CASCADE)`,
	}
}

// Core is a core database being filled.
type Core struct {
	DB      *sql.DB
	Dialect Dialect
	Prefix  string
}

// Create runs DDL on c.DB.
func (c *Core) Create(ctx context.Context) error {
	for _, stmt := range DDL(c.Dialect, c.Prefix) {
		if _, err := c.DB.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("stcoretest: %w in %.60s", err, stmt)
		}
	}
	return nil
}

func (c *Core) exec(ctx context.Context, q string, args ...any) error {
	if c.Dialect == Postgres {
		n := 0
		q = replaceEach(q, "?", func() string { n++; return fmt.Sprintf("$%d", n) })
	}
	_, err := c.DB.ExecContext(ctx, q, args...)
	return err
}

func replaceEach(s, old string, next func() string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, old)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(next())
		s = s[i+len(old):]
	}
}

// AddTenant inserts the app (once) and the tenant.
func (c *Core) AddTenant(ctx context.Context, app, tenant string) error {
	ms := time.Now().UnixMilli()
	ins := "INSERT INTO "
	if c.Dialect == MySQL {
		ins = "INSERT IGNORE INTO "
	}
	tail := ""
	if c.Dialect == Postgres {
		tail = " ON CONFLICT DO NOTHING"
	}
	if err := c.exec(ctx, ins+c.Prefix+"apps (app_id, created_at_time) VALUES (?, ?)"+tail, app, ms); err != nil {
		return err
	}
	return c.exec(ctx, ins+c.Prefix+"tenants (app_id, tenant_id, created_at_time) VALUES (?, ?, ?)"+tail, app, tenant, ms)
}

// PutRefreshKey stores the app's refresh-token key.
func (c *Core) PutRefreshKey(ctx context.Context, app, key string) error {
	return c.exec(ctx, "INSERT INTO "+c.Prefix+"key_value (app_id, tenant_id, name, value, created_at_time) VALUES (?, 'public', 'refresh_token_key', ?, ?)",
		app, key, time.Now().UnixMilli())
}

// PutLegacyAccessKey stores a legacy access-token key in key_value, with
// the ";" separator of old rows.
func (c *Core) PutLegacyAccessKey(ctx context.Context, app string, k *Key) error {
	return c.exec(ctx, "INSERT INTO "+c.Prefix+"key_value (app_id, tenant_id, name, value, created_at_time) VALUES (?, 'public', 'access_token_signing_key', ?, ?)",
		app, strings.Replace(k.KeyString, "|", ";", 1), k.CreatedAt.UnixMilli())
}

// PutKey stores a dynamic key in session_access_token_signing_keys or a
// static one in jwt_signing_keys.
func (c *Core) PutKey(ctx context.Context, app string, k *Key) error {
	if k.Static {
		return c.exec(ctx, "INSERT INTO "+c.Prefix+"jwt_signing_keys (app_id, key_id, key_string, algorithm, created_at) VALUES (?, ?, ?, 'RS256', ?)",
			app, k.ID, k.KeyString, k.CreatedAt.UnixMilli())
	}
	return c.exec(ctx, "INSERT INTO "+c.Prefix+"session_access_token_signing_keys (app_id, created_at_time, value) VALUES (?, ?, ?)",
		app, k.CreatedAt.UnixMilli(), k.KeyString)
}

// PutSessions inserts session_info rows, many to a statement.
func (c *Core) PutSessions(ctx context.Context, sessions ...*Session) error {
	const per = 400
	for start := 0; start < len(sessions); start += per {
		chunk := sessions[start:min(start+per, len(sessions))]
		var q strings.Builder
		q.WriteString("INSERT INTO " + c.Prefix + "session_info (app_id, tenant_id, session_handle, user_id, refresh_token_hash_2, session_data, expires_at, created_at_time, jwt_user_payload, use_static_key) VALUES ")
		args := make([]any, 0, len(chunk)*10)
		for i, s := range chunk {
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, s.AppID, s.TenantID, s.Handle, s.UserID, s.Hash2, nullable(s.SessionData),
				s.ExpiresAt.UnixMilli(), s.CreatedAt.UnixMilli(), nullable(s.JWTPayload), s.UseStaticKey)
		}
		if err := c.exec(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
