package ginsession_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store"
)

// rotationModel is the reference model of one session's refresh lineage
// (DESIGN.md, "Rotation state machine").
type rotationModel struct {
	alive     bool
	tokens    []string // tokens[i] is the refresh token of generation i
	access    string   // the newest access token
	rotatedAt time.Time
}

func (m *rotationModel) gen() int { return len(m.tokens) - 1 }

// propClient sends header-mode requests straight into the router.
type propClient struct {
	e *env
}

func (p propClient) send(method, path, bearer string) (int, string, string, string) {
	code, body, h := serveWithBearer(p.e, method, path, bearer)
	return code, body, h.Get("st-refresh-token"), h.Get("st-access-token")
}

// TestRotationProperty runs random sequences of refresh, replays (current,
// previous, older), forged tokens, sign-out, revocation and clock steps
// against the reference model, checking the invariants after every step:
// at most one live lineage, generation never decreases, an accepted token is
// current or previous inside the window, nothing is accepted after theft or
// sign-out.
func TestRotationProperty(t *testing.T) {
	sequences := 10000
	if testing.Short() {
		sequences = 1000
	}
	if v, err := strconv.Atoi(os.Getenv("GINSESSION_PROP_SEQUENCES")); err == nil && v > 0 {
		sequences = v
	}
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("GINSESSION_PROP_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Logf("seed %d (GINSESSION_PROP_SEED reproduces), %d sequences", seed, sequences)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	grace := 30 * time.Second
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.RefreshGracePeriod = grace
		cfg.AccessTokenTTL = time.Hour
	})
	p := propClient{e}
	steps, ops := 0, map[string]int{}
	for seq := 0; seq < sequences; seq++ {
		e.signInHeader(t, p)
		code, _, rt, at := p.send("POST", "/signin-prop", "")
		if code != 200 || rt == "" {
			t.Fatalf("sign-in: %d", code)
		}
		m := &rotationModel{alive: true, tokens: []string{rt}, access: at, rotatedAt: e.clock.Now()}
		handle := handleOf(t, e, at)
		n := 3 + rng.IntN(12)
		for step := 0; step < n; step++ {
			steps++
			op := rng.IntN(100)
			now := e.clock.Now()
			switch {
			case op < 35: // refresh with the current token
				ops["refresh"]++
				code, body, child, access := p.send("POST", "/auth/session/refresh", m.tokens[m.gen()])
				if !m.alive {
					if code != 401 || body != `{"message":"unauthorised"}` {
						t.Fatalf("seq %d: refresh of a dead session: %d %s", seq, code, body)
					}
					break
				}
				if code != 200 || child == "" {
					t.Fatalf("seq %d step %d: refresh with the current token: %d %s", seq, step, code, body)
				}
				m.tokens = append(m.tokens, child)
				m.access = access
				m.rotatedAt = now
			case op < 55: // replay the previous token
				ops["replay-previous"]++
				if m.gen() < 1 {
					break
				}
				code, body, child, _ := p.send("POST", "/auth/session/refresh", m.tokens[m.gen()-1])
				switch {
				case !m.alive:
					if code != 401 || body != `{"message":"unauthorised"}` {
						t.Fatalf("seq %d: replay on a dead session: %d %s", seq, code, body)
					}
				case now.Sub(m.rotatedAt) <= grace:
					if code != 200 || child != m.tokens[m.gen()] {
						t.Fatalf("seq %d: replay inside the window: %d %s, same child %v", seq, code, body, child == m.tokens[m.gen()])
					}
				default:
					if code != 401 || body != `{"message":"token theft detected"}` {
						t.Fatalf("seq %d: previous token after the window: %d %s", seq, code, body)
					}
					m.alive = false
				}
			case op < 65: // replay an older token
				ops["replay-older"]++
				if m.gen() < 2 {
					break
				}
				old := m.tokens[rng.IntN(m.gen()-1)]
				code, body, _, _ := p.send("POST", "/auth/session/refresh", old)
				if m.alive {
					if code != 401 || body != `{"message":"token theft detected"}` {
						t.Fatalf("seq %d: older token: %d %s", seq, code, body)
					}
					m.alive = false
				} else if code != 401 || body != `{"message":"unauthorised"}` {
					t.Fatalf("seq %d: older token on a dead session: %d %s", seq, code, body)
				}
			case op < 75: // a forged token for this handle
				ops["forged"]++
				b := []byte(m.tokens[m.gen()])
				i := 1 + rng.IntN(len(b)-2)
				b[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[rng.IntN(64)]
				if string(b) == m.tokens[m.gen()] {
					break
				}
				code, body, _, _ := p.send("POST", "/auth/session/refresh", string(b))
				if code != 401 || body != `{"message":"unauthorised"}` {
					t.Fatalf("seq %d: forged token: %d %s", seq, code, body)
				}
			case op < 80: // sign out
				ops["sign-out"]++
				code, body, _, _ := p.send("POST", "/auth/signout", m.access)
				switch {
				case !m.alive:
					if code != 401 {
						t.Fatalf("seq %d: sign-out of a dead session: %d %s", seq, code, body)
					}
				case code != 200:
					t.Fatalf("seq %d: sign-out: %d %s", seq, code, body)
				default:
					m.alive = false
				}
			case op < 85: // revoke by handle
				ops["revoke"]++
				ok, err := e.sessions.RevokeSession(t.Context(), handle)
				if err != nil || ok != m.alive {
					t.Fatalf("seq %d: revoke: %v %v (model alive %v)", seq, ok, err, m.alive)
				}
				m.alive = false
			default: // clock step, around the window's edge
				ops["clock"]++
				e.clock.Advance(time.Duration(rng.IntN(40_000)) * time.Millisecond)
			}
			// Invariants.
			row, err := e.store.GetSession(t.Context(), handle, e.clock.Now())
			if !m.alive {
				if err != store.ErrNotFound {
					t.Fatalf("seq %d step %d: dead session still stored (%v)", seq, step, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("seq %d step %d: live session missing: %v", seq, step, err)
			}
			if row.Generation != int64(m.gen()) {
				t.Fatalf("seq %d step %d: generation %d, model %d", seq, step, row.Generation, m.gen())
			}
			if !bytes.Equal(row.RefreshHash, refreshHash(t, m.tokens[m.gen()])) {
				t.Fatalf("seq %d step %d: the stored lineage is not the model's", seq, step)
			}
			if m.gen() > 0 && !bytes.Equal(row.PrevRefreshHash, refreshHash(t, m.tokens[m.gen()-1])) {
				t.Fatalf("seq %d step %d: previous hash is not the model's", seq, step)
			}
		}
	}
	t.Logf("%d steps: %v", steps, ops)
}

// signInHeader mounts the property test's sign-in route once.
func (e *env) signInHeader(t *testing.T, p propClient) {
	if e.propMounted {
		return
	}
	e.propMounted = true
	e.router.POST("/signin-prop", func(c *ginContext) {
		if _, err := e.sessions.Create(c, "prop-user", nil, nil); err != nil {
			e.sessions.HandleError(c, err)
		}
	})
}

func handleOf(t *testing.T, e *env, access string) string {
	t.Helper()
	code, body, _, _ := propClient{e}.send("GET", "/api/me", access)
	if code != 200 {
		t.Fatalf("me: %d %s", code, body)
	}
	return between(body, `"handle":"`, `"`)
}
