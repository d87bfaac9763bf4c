package mysqlstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store/mysqlstore"
)

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn                      string
		user, pass, addr, dbname string
		timeout                  time.Duration
	}{
		{dsn: "mysql://app:s3cret@db.internal:3307/sessions", user: "app", pass: "s3cret", addr: "db.internal:3307", dbname: "sessions"},
		{dsn: "mariadb://app@127.0.0.1/sessions", user: "app", addr: "127.0.0.1:3306", dbname: "sessions"},
		{dsn: "MySQL://app:p%40ss%2Fw@[::1]:3306/s?timeout=5s", user: "app", pass: "p@ss/w", addr: "[::1]:3306", dbname: "s", timeout: 5 * time.Second},
		{dsn: "app:pw@tcp(10.0.0.1:3306)/sessions?timeout=2s", user: "app", pass: "pw", addr: "10.0.0.1:3306", dbname: "sessions", timeout: 2 * time.Second},
	} {
		cfg, err := mysqlstore.ParseDSN(tc.dsn)
		if err != nil {
			t.Errorf("ParseDSN(%q): %v", tc.dsn, err)
			continue
		}
		if cfg.User != tc.user || cfg.Passwd != tc.pass || cfg.Addr != tc.addr || cfg.DBName != tc.dbname || cfg.Timeout != tc.timeout {
			t.Errorf("ParseDSN(%q) = user %q pass %q addr %q db %q timeout %v; want %q %q %q %q %v",
				tc.dsn, cfg.User, cfg.Passwd, cfg.Addr, cfg.DBName, cfg.Timeout, tc.user, tc.pass, tc.addr, tc.dbname, tc.timeout)
		}
		// Forced whatever the DSN said: the store's times and text depend on them.
		if !cfg.ParseTime || cfg.Loc != time.UTC || cfg.Params["time_zone"] != "'+00:00'" || !strings.Contains(cfg.Params["sql_mode"], "STRICT_ALL_TABLES") {
			t.Errorf("ParseDSN(%q): parseTime %v loc %v params %v; want parseTime, UTC, time_zone +00:00, strict mode",
				tc.dsn, cfg.ParseTime, cfg.Loc, cfg.Params)
		}
	}
}

func TestParseDSNOverridesUnsafeSettings(t *testing.T) {
	cfg, err := mysqlstore.ParseDSN("mysql://app@h/db?parseTime=false&loc=Local")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.ParseTime || cfg.Loc != time.UTC {
		t.Fatalf("parseTime %v loc %v; want true, UTC", cfg.ParseTime, cfg.Loc)
	}
}

func TestParseDSNRefusesWithoutLeakingPassword(t *testing.T) {
	for _, dsn := range []string{
		"mysql://app:hunter2@/db",           // no host
		"mysql://app:hunter2@host",          // no database
		"mysql://app:hunter2@host/a/b",      // two path segments
		"mysql://app:hunter2@host:x/db",     // bad port
		"mysql://app:hunter2@host/db?foo=%", // bad query
		"app:hunter2@tcp(host:3306",         // driver DSN, unclosed
		"app:hunter2@tcp(host)/db?timeout=forever",
	} {
		_, err := mysqlstore.ParseDSN(dsn)
		if err == nil {
			t.Errorf("ParseDSN(%q) accepted", dsn)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseDSN(%q) error shows the password: %v", dsn, err)
		}
	}
}
