package ginsession_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
)

// Changing the secret that authenticates refresh tokens must not sign
// anybody out when the old one is still accepted (Config.AcceptMasterKeys,
// Config.AcceptStoredSecret), and must when it is not.

var (
	masterA = []byte(strings.Repeat("A", 32) + " first master key")
	masterB = []byte(strings.Repeat("B", 32) + " second master key")
)

// keyEnv is an engine on the shared store st with the API domain fixed (the
// issuer must not change between "deployments") and key settings from keys.
func keyEnv(t *testing.T, e0 *env, keys func(*ginsession.Config)) *env {
	t.Helper()
	return newEnvOn(t, e0.store, e0.clock, func(cfg *ginsession.Config) {
		cfg.APIDomain = "http://api.example.test"
		cfg.AntiCSRF = ginsession.AntiCSRFViaToken
		if keys != nil {
			keys(cfg)
		}
	})
}

func TestMasterKeyAddedToRunningDeployment(t *testing.T) {
	base := newEnvOn(t, openSQLite(t), newClock(), nil)
	before := keyEnv(t, base, nil) // no MasterKey: the stored secret
	c := before.newClient("header")
	handle, _ := c.signIn("u").body["handle"].(string)
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
	parent := c.refreshToken()

	// Without AcceptStoredSecret the token is not ours any more: refused,
	// and nothing is revoked (a token we cannot authenticate is no theft).
	strict := keyEnv(t, base, func(cfg *ginsession.Config) { cfg.MasterKey = masterA })
	c.env = strict
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 401, "")
	expectSessionAlive(t, strict, handle)
	c.setRefreshToken(parent)

	during := keyEnv(t, base, func(cfg *ginsession.Config) {
		cfg.MasterKey = masterA
		cfg.AcceptStoredSecret = true
	})
	c.env = during
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
	child := c.refreshToken()
	expectStatus(t, c.do("GET", "/api/checked", ""), 200, "")
	// A lost response: the old token again inside the grace window gets
	// the very same child, derived under the new key.
	c.setRefreshToken(parent)
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
	if c.refreshToken() != child {
		t.Fatal("the retry got another child: the lineage forked across the key change")
	}
	if n := during.events.count(&during.events.theft); n != 0 {
		t.Fatalf("%d thefts", n)
	}

	// The child was issued under the MasterKey: once the stored secret is
	// no longer accepted, it still refreshes.
	after := keyEnv(t, base, func(cfg *ginsession.Config) { cfg.MasterKey = masterA })
	c.env = after
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
	expectStatus(t, c.do("GET", "/api/checked", ""), 200, "")
}

func TestMasterKeyChanged(t *testing.T) {
	base := newEnvOn(t, openSQLite(t), newClock(), nil)
	onA := keyEnv(t, base, func(cfg *ginsession.Config) { cfg.MasterKey = masterA })
	c := onA.newClient("header")
	handle, _ := c.signIn("u").body["handle"].(string)
	held := c.refreshToken()

	// Rollout 1: every instance issues under A and also accepts B.
	acceptB := keyEnv(t, base, func(cfg *ginsession.Config) {
		cfg.MasterKey = masterA
		cfg.AcceptMasterKeys = [][]byte{masterB}
	})
	// Rollout 2: B issues, A is still accepted.
	onB := keyEnv(t, base, func(cfg *ginsession.Config) {
		cfg.MasterKey = masterB
		cfg.AcceptMasterKeys = [][]byte{masterA}
	})
	c.env = onB
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
	// A token issued under B, presented to an instance of rollout 1.
	c.env = acceptB
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
	c.env = onB
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
	expectStatus(t, c.do("GET", "/api/checked", ""), 200, "")

	// An instance that knows only B refuses a token issued under A alone
	// (held from before), without revoking the session.
	onlyB := keyEnv(t, base, func(cfg *ginsession.Config) { cfg.MasterKey = masterB })
	other := onlyB.newClient("header")
	other.setRefreshToken(held)
	expectStatus(t, other.do("POST", "/auth/session/refresh", ""), 401, "")
	expectSessionAlive(t, onlyB, handle)
	c.env = onlyB
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
}

// The VIA_TOKEN anti-CSRF token is derived from the same secret: one issued
// before the change is accepted while the old secret is.
func TestMasterKeyAntiCSRFToken(t *testing.T) {
	base := newEnvOn(t, openSQLite(t), newClock(), nil)
	onA := keyEnv(t, base, func(cfg *ginsession.Config) { cfg.MasterKey = masterA })
	c := onA.newClient("cookie")
	c.signIn("u")
	if c.csrf == "" {
		t.Fatal("no anti-csrf token issued in VIA_TOKEN mode")
	}
	expectStatus(t, c.do("POST", "/api/me", ""), 200, "")

	c.env = keyEnv(t, base, func(cfg *ginsession.Config) {
		cfg.MasterKey = masterB
		cfg.AcceptMasterKeys = [][]byte{masterA}
	})
	expectStatus(t, c.do("POST", "/api/me", ""), 200, "")

	c.env = keyEnv(t, base, func(cfg *ginsession.Config) { cfg.MasterKey = masterB })
	r := c.do("POST", "/api/me", "")
	if r.status != 401 || r.message() != "try refresh token" {
		t.Fatalf("old anti-csrf token on a server that no longer accepts its key: %d %s, want 401 try refresh token", r.status, r.raw)
	}
}

func TestMasterKeyConfigErrors(t *testing.T) {
	st := openSQLite(t)
	for _, c := range []struct {
		name, field string
		cfg         ginsession.Config
	}{
		{"short accepted key", "AcceptMasterKeys", ginsession.Config{MasterKey: masterA, AcceptMasterKeys: [][]byte{[]byte("short")}}},
		{"stored secret without MasterKey", "AcceptStoredSecret", ginsession.Config{AcceptStoredSecret: true}},
	} {
		c.cfg.Store, c.cfg.APIDomain = st, "http://api.example.test"
		_, err := ginsession.New(c.cfg)
		if err == nil || !strings.Contains(err.Error(), "Config."+c.field) {
			t.Errorf("%s: err = %v, want one naming Config.%s", c.name, err, c.field)
		}
	}
}

// SECURITY.md C (the signing-key part of "scan every stored column and the
// logs"): with a MasterKey, the signing private key is in no stored column
// and no log, in any encoding. Without a MasterKey it is stored in the
// clear: the documented trade-off of Config.MasterKey (SECURITY.md of the
// project tells production deployments to set one).
func TestMasterKeySigningKeyNotInTheClear(t *testing.T) {
	logs := &lockedBuffer{}
	master := []byte("a master key of at least 32 bytes, for tests")
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.MasterKey = master
		cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		cfg.KeyRotationInterval = time.Hour
	})
	c := e.newClient("cookie")
	c.signIn("u")
	// Rotate a few times, so several keys exist.
	for i := 0; i < 3; i++ {
		e.clock.Advance(time.Hour)
		expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
	}
	rows, err := e.store.SigningKeys(t.Context(), e.clock.Now())
	if err != nil || len(rows) < 2 {
		t.Fatalf("keys: %d %v", len(rows), err)
	}
	block, err := aes.NewCipher(deriveKey(master, "ginsession signing-key wrap"))
	if err != nil {
		t.Fatal(err)
	}
	gcm, _ := cipher.NewGCM(block)
	var secrets [][]byte
	for _, row := range rows {
		der, err := gcm.Open(nil, row.PrivateKey[:gcm.NonceSize()], row.PrivateKey[gcm.NonceSize():], []byte(row.ID))
		if err != nil {
			t.Fatalf("key %s does not open with the MasterKey: %v", row.ID, err)
		}
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			t.Fatal(err)
		}
		d := k.(*ecdsa.PrivateKey).D.Bytes()
		secrets = append(secrets, der, d)
	}
	dump := dumpStore(t, e.store)
	logText := logs.String()
	for _, s := range secrets {
		for _, form := range []string{string(s), hex.EncodeToString(s), base64.StdEncoding.EncodeToString(s), base64.RawURLEncoding.EncodeToString(s)} {
			if strings.Contains(dump, form) {
				t.Errorf("a signing private key is stored in the clear")
			}
			if strings.Contains(logText, form) {
				t.Errorf("a signing private key is in the log")
			}
		}
	}
}

// SECURITY.md D (signing keys): a MasterKey added to a running deployment.
// The keys already stored in the clear are verify-only for the new
// configuration; the engine must make a key it can sign with at once
// instead of waiting out the old key's turn (days) with every sign-in and
// refresh failing. Tokens of the old key keep verifying.
func TestMasterKeyAddedToRunningDeploymentMakesASigningKey(t *testing.T) {
	st := openSQLite(t)
	clk := newClock()
	api := func(cfg *ginsession.Config) { cfg.APIDomain = "http://api.example.test" }
	before := newEnvOn(t, st, clk, api)
	old := before.newClient("header")
	old.signIn("u")
	oldKid := kidOf(t, old.access)
	for i, master := range []string{"the first master key, 32+ bytes long", "another master key, also 32+ bytes"} {
		after := newEnvOn(t, st, clk, func(cfg *ginsession.Config) {
			api(cfg)
			cfg.MasterKey = []byte(master)
		})
		c := after.newClient("header")
		r := c.do("POST", "/signin", `{"user":"u2"}`)
		if r.status != 200 {
			t.Fatalf("MasterKey %d: sign-in %d %s: no usable signing key", i, r.status, r.raw)
		}
		if kidOf(t, c.access) == oldKid {
			t.Fatalf("MasterKey %d: signed with the key stored in the clear", i)
		}
		expectStatus(t, c.do("GET", "/api/me", ""), 200, "")
		expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
		old.env = after
		expectStatus(t, old.do("GET", "/api/me", ""), 200, "")
		if !after.jwks(t).has(oldKid) {
			t.Fatalf("MasterKey %d: the old key is no longer published", i)
		}
	}
}
