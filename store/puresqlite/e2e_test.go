package puresqlite_test

// End to end: ginsession mounted on a real HTTP server (httptest) over the
// pure-Go store, as an application built with CGO_ENABLED=0 would run it.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store"
)

// newServer serves ginsession's routes on st plus POST /signin?user=NAME,
// which starts a session, and GET /me, which needs one.
func newServer(t *testing.T, st store.Store) *httptest.Server {
	t.Helper()
	router := gin.New()
	sessions, err := ginsession.Register(router, ginsession.Config{Store: st, APIDomain: "http://localhost:8080"})
	if err != nil {
		t.Fatal(err)
	}
	router.POST("/signin", func(c *gin.Context) {
		if _, err := sessions.Create(c, c.Query("user"), nil, nil); err != nil {
			sessions.HandleError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "OK"})
	})
	router.GET("/me", sessions.Verify(), func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"userId": ginsession.FromContext(c).UserID()})
	})
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)
	return srv
}

// answer is one HTTP response: status, body and the tokens it carried.
type answer struct {
	status          int
	body            string
	access, refresh string
}

// call sends a header-mode request (st-auth-mode: header) with bearer as
// its Authorization, if any.
func call(hc *http.Client, method, url, bearer string) (answer, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("st-auth-mode", "header")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := hc.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return answer{}, err
	}
	return answer{res.StatusCode, string(body), res.Header.Get("st-access-token"), res.Header.Get("st-refresh-token")}, nil
}

func mustCall(t *testing.T, method, url, bearer string) answer {
	t.Helper()
	a, err := call(http.DefaultClient, method, url, bearer)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return a
}

// signIn signs user in and returns the session's tokens.
func signIn(t *testing.T, base, user string) answer {
	t.Helper()
	a := mustCall(t, "POST", base+"/signin?user="+user, "")
	if a.status != http.StatusOK || a.access == "" || a.refresh == "" {
		t.Fatalf("sign-in of %s: %d %s, tokens %t %t", user, a.status, a.body, a.access != "", a.refresh != "")
	}
	return a
}

// checkMe asserts that access verifies as user's.
func checkMe(t *testing.T, base, access, user string) {
	t.Helper()
	a := mustCall(t, "GET", base+"/me", access)
	var me struct {
		UserID string `json:"userId"`
	}
	if a.status != http.StatusOK || json.Unmarshal([]byte(a.body), &me) != nil || me.UserID != user {
		t.Fatalf("GET /me: %d %s, want %s's", a.status, a.body, user)
	}
}

// TestSignInVerifyRefresh: sign in, verify the access token, refresh, verify
// the new access token; the used refresh token then no longer refreshes
// into a new lineage, and the row's generation moved by one.
func TestSignInVerifyRefresh(t *testing.T) {
	st := openAt(t, filepath.Join(t.TempDir(), "sessions.db"))
	base := newServer(t, st).URL

	first := signIn(t, base, "alice")
	checkMe(t, base, first.access, "alice")
	if a := mustCall(t, "GET", base+"/me", ""); a.status != http.StatusUnauthorized {
		t.Fatalf("GET /me without a token: %d %s, want 401", a.status, a.body)
	}
	before := generation(t, st, "alice")

	next := mustCall(t, "POST", base+"/auth/session/refresh", first.refresh)
	if next.status != http.StatusOK || next.access == "" || next.refresh == "" || next.refresh == first.refresh {
		t.Fatalf("refresh: %d %s, new tokens %t %t", next.status, next.body, next.access != "", next.refresh != "" && next.refresh != first.refresh)
	}
	checkMe(t, base, next.access, "alice")
	if after := generation(t, st, "alice"); after != before+1 {
		t.Fatalf("generation %d after one refresh from %d", after, before)
	}

	again := mustCall(t, "POST", base+"/auth/session/refresh", next.refresh)
	if again.status != http.StatusOK || again.refresh == "" || again.refresh == next.refresh {
		t.Fatalf("second refresh: %d %s", again.status, again.body)
	}
	checkMe(t, base, again.access, "alice")
}

// generation returns the generation of user's only session.
func generation(t *testing.T, st store.Store, user string) int64 {
	t.Helper()
	rows, err := st.ListUserSessions(t.Context(), user, time.Now())
	if err != nil || len(rows) != 1 {
		t.Fatalf("%s's sessions = %+v, %v; want one", user, rows, err)
	}
	return rows[0].Generation
}

// raceRefresh has workers goroutines refresh the same token at once, for
// rounds rounds, each request sent to servers[worker % len(servers)]. Every
// request must answer 200 with the same new refresh token: one lineage, no
// theft, and no 5xx (a SQLITE_BUSY would be one). It returns the last token.
func raceRefresh(t *testing.T, servers []string, tok string, workers, rounds int) string {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}}
	defer hc.CloseIdleConnections()
	for round := range rounds {
		var mu sync.Mutex
		children := map[string]int{}
		var failure string
		start := make(chan struct{})
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				<-start
				a, err := call(hc, "POST", servers[w%len(servers)]+"/auth/session/refresh", tok)
				mu.Lock()
				defer mu.Unlock()
				if err != nil || a.status != http.StatusOK || a.refresh == "" {
					if failure == "" {
						failure = fmt.Sprintf("worker %d: status %d, err %v, body %s", w, a.status, err, a.body)
					}
					return
				}
				children[a.refresh]++
			})
		}
		close(start)
		wg.Wait()
		if failure != "" {
			t.Fatalf("round %d: %s", round, failure)
		}
		if len(children) != 1 {
			t.Fatalf("round %d: %d different new refresh tokens: the lineage forked", round, len(children))
		}
		for child := range children {
			if child == tok {
				t.Fatalf("round %d: the refresh token did not rotate", round)
			}
			tok = child
		}
	}
	return tok
}

// TestRefreshRaceSameToken: 50 goroutines refresh one session's token at
// once, 40 rounds, on one store.
func TestRefreshRaceSameToken(t *testing.T) {
	st := openAt(t, filepath.Join(t.TempDir(), "sessions.db"))
	base := newServer(t, st).URL
	first := signIn(t, base, "racer")
	last := raceRefresh(t, []string{base}, first.refresh, 50, 40)
	final := mustCall(t, "POST", base+"/auth/session/refresh", last)
	if final.status != http.StatusOK {
		t.Fatalf("refresh after the race: %d %s", final.status, final.body)
	}
	checkMe(t, base, final.access, "racer")
}

// TestRefreshRaceTwoStoresOneFile: the same race spread over two servers,
// each with its own store (its own writer connection) on one file, as two
// processes sharing the file would be. The writers then contend in
// SQLite's lock itself: busy_timeout and BEGIN IMMEDIATE keep that from
// surfacing as SQLITE_BUSY.
func TestRefreshRaceTwoStoresOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	a, b := newServer(t, openAt(t, path)).URL, newServer(t, openAt(t, path)).URL
	first := signIn(t, a, "racer")
	checkMe(t, b, first.access, "racer") // b verifies a's token: keys are in the file
	raceRefresh(t, []string{a, b}, first.refresh, 50, 25)
}

// TestRefreshManySessionsConcurrently: 40 goroutines, each with a session
// of its own, refresh in a loop at once across two stores on one file:
// every write of both stores queues for the one lock, and none fails.
func TestRefreshManySessionsConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	servers := []string{newServer(t, openAt(t, path)).URL, newServer(t, openAt(t, path)).URL}
	const clients, refreshes = 40, 15
	tokens := make([]string, clients)
	for i := range tokens {
		tokens[i] = signIn(t, servers[i%2], fmt.Sprintf("user%d", i)).refresh
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	defer hc.CloseIdleConnections()
	errs := make([]error, clients)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range clients {
		wg.Go(func() {
			<-start
			tok := tokens[i]
			for n := range refreshes {
				// Alternate servers: each refresh's row was last written
				// by the other store.
				a, err := call(hc, "POST", servers[(i+n)%2]+"/auth/session/refresh", tok)
				if err != nil || a.status != http.StatusOK || a.refresh == "" {
					errs[i] = fmt.Errorf("refresh %d: status %d, err %v, body %s", n, a.status, err, a.body)
					return
				}
				tok = a.refresh
			}
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("client %d: %v", i, err)
		}
	}
}
