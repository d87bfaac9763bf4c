package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/ginsession/ginsession/ginsession"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// user is a row of the users table. Emails are stored normalised (trimmed,
// lower-cased); passwords only as bcrypt hashes.
type user struct {
	ID           string    `gorm:"column:id;primaryKey;size:36"`
	Email        string    `gorm:"column:email;size:254;not null;uniqueIndex"`
	PasswordHash string    `gorm:"column:password_hash;not null"`
	CreatedAt    time.Time `gorm:"column:created_at;not null"`
	// Frontend is the user's own frontend, the origin links sent to the
	// user point at (homeFrontend): the frontend the account was signed
	// up on, a configured one (ginsession's FrontendOrigin answers nothing
	// else, and checks its host name: at most 253 bytes, so the origin
	// fits in 300). "" for accounts made before the column existed.
	Frontend string `gorm:"column:frontend;size:300;not null;default:''"`
}

func (user) TableName() string { return "users" }

// Input limits.
const (
	maxEmailBytes    = 254
	minPasswordRunes = 8
	maxPasswordBytes = 72 // bcrypt ignores (x/crypto refuses) anything longer
)

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	// RememberMe false asks for a session that ends with the browser
	// session (cookies without Expires). Absent: remembered.
	RememberMe *bool `json:"rememberMe"`
	// Handle is, for POST /signin/replace only, the session to sign out
	// (one of those a 409 from /signin listed).
	Handle string `json:"handle"`
}

// readCredentials decodes {"email","password"}, normalises the email and
// checks that both are present. The password policy is not applied here: it
// is sign-up's (checkPasswordPolicy); at sign-in any password is only
// compared.
func readCredentials(c *gin.Context) (credentials, error) {
	var in credentials
	if err := readJSON(c, &in); err != nil {
		return in, err
	}
	email, err := normaliseEmail(in.Email)
	if err != nil {
		return in, err
	}
	in.Email = email
	if in.Password == "" {
		return in, errors.New("password is required")
	}
	return in, nil
}

// checkPasswordPolicy is the sign-up password policy.
func checkPasswordPolicy(password string) error {
	switch {
	case utf8.RuneCountInString(password) < minPasswordRunes:
		return fmt.Errorf("password must be at least %d characters", minPasswordRunes)
	case len(password) > maxPasswordBytes:
		return fmt.Errorf("password must be at most %d bytes", maxPasswordBytes)
	}
	return nil
}

// normaliseEmail trims and lower-cases an email address and checks that it is
// a plain address ("name@domain", no display name or angle brackets).
func normaliseEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", errors.New("email is required")
	}
	if len(s) > maxEmailBytes || !utf8.ValidString(s) {
		return "", errors.New("email is not a valid address")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return "", errors.New("email is not a valid address")
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" {
		return "", errors.New("email is not a valid address")
	}
	return s, nil
}

// signUp handles POST /signup.
func (a *App) signUp(c *gin.Context) {
	in, err := readCredentials(c)
	if err == nil {
		err = checkPasswordPolicy(in.Password)
	}
	if err != nil {
		refuseBody(c, err)
		return
	}
	ctx := c.Request.Context()
	var n int64
	if err := a.db.WithContext(ctx).Model(&user{}).Where("email = ?", in.Email).Count(&n).Error; err != nil {
		a.dbError(c, "looking up a user", err)
		return
	}
	if n > 0 {
		c.JSON(http.StatusOK, gin.H{"status": "EMAIL_ALREADY_EXISTS_ERROR"})
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(in.Password), a.opts.BcryptCost)
	if err != nil {
		a.internalError(c, "hashing a password", err)
		return
	}
	// The account's frontend is the one it is signed up on: the user's own
	// choice, for the user's own account.
	u := user{ID: randomID(), Email: in.Email, PasswordHash: string(hash), CreatedAt: time.Now().UTC(),
		Frontend: a.sessions.FrontendOrigin(c)}
	// Two sign-ups racing for one email: the unique index decides, and the
	// loser inserts nothing.
	res := a.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "email"}}, DoNothing: true}).Create(&u)
	if res.Error != nil {
		a.dbError(c, "creating a user", res.Error)
		return
	}
	if res.RowsAffected == 0 {
		c.JSON(http.StatusOK, gin.H{"status": "EMAIL_ALREADY_EXISTS_ERROR"})
		return
	}
	a.startSession(c, &u, in.RememberMe)
}

// signIn handles POST /signin. Wrong credentials are a 200 with a status, not
// a 401: the frontend SDK reads any 401 as "session expired". The sign-up
// password policy does not apply: a password that breaks it is just wrong.
func (a *App) signIn(c *gin.Context) {
	u, in, ok := a.checkCredentials(c)
	if !ok {
		return
	}
	a.startSession(c, u, in.RememberMe)
}

// signInReplacing handles POST /signin/replace {"email","password",
// "handle","rememberMe"}: after /signin answered 409 with the user's
// devices, it signs out the one the user picked and signs in. The password
// is checked again, exactly as /signin does: the handle alone authorises
// nothing (anyone who learnt one could otherwise sign the user out), and
// it must be one of this user's sessions (else 404, whether or not it
// exists).
func (a *App) signInReplacing(c *gin.Context) {
	u, in, ok := a.checkCredentials(c)
	if !ok {
		return
	}
	if in.Handle == "" {
		message(c, http.StatusBadRequest, "handle is required")
		return
	}
	revoked, err := a.sessions.RevokeUserSession(c.Request.Context(), u.ID, in.Handle)
	if err != nil {
		a.sessions.HandleError(c, err)
		return
	}
	if !revoked {
		message(c, http.StatusNotFound, "session not found")
		return
	}
	a.startSession(c, u, in.RememberMe)
}

// checkCredentials reads {"email","password",...} and checks the password.
// When it reports false it has answered: 400 for a malformed body, 200
// WRONG_CREDENTIALS_ERROR for a wrong email or password.
func (a *App) checkCredentials(c *gin.Context) (*user, credentials, bool) {
	in, err := readCredentials(c)
	if err != nil {
		refuseBody(c, err)
		return nil, in, false
	}
	if len(in.Password) > maxPasswordBytes {
		// No account has such a password (sign-up refuses it), and bcrypt
		// would compare only its first 72 bytes: the right password plus
		// any tail would pass. Refused before the lookup, so the answer is
		// the same for known and unknown emails.
		c.JSON(http.StatusOK, gin.H{"status": "WRONG_CREDENTIALS_ERROR"})
		return nil, in, false
	}
	var u user
	err = a.db.WithContext(c.Request.Context()).Where("email = ?", in.Email).Take(&u).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		// Spend the same time as for a known email.
		_ = bcrypt.CompareHashAndPassword(a.dummyHash, []byte(in.Password))
		c.JSON(http.StatusOK, gin.H{"status": "WRONG_CREDENTIALS_ERROR"})
		return nil, in, false
	case err != nil:
		a.dbError(c, "looking up a user", err)
		return nil, in, false
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(in.Password)) != nil {
		c.JSON(http.StatusOK, gin.H{"status": "WRONG_CREDENTIALS_ERROR"})
		return nil, in, false
	}
	return &u, in, true
}

// homeFrontend is the origin every link the app sends u is built on (a
// password reset or e-mail verification link, an invitation; the example
// sends none, and shows it in the session's payload): the frontend stored
// on u's record, else the default frontend. Never the frontend of the
// request at hand (FrontendOrigin(c)): whoever asks for a link sent to u
// chooses that, by an Origin or X-Tenant header, among every configured
// frontend, and an attacker asking for a victim's reset link would choose
// a tenant of their own. FrontendOrigin(c) is for answering the request
// itself.
func (a *App) homeFrontend(u *user) string {
	if u.Frontend != "" {
		return u.Frontend
	}
	return a.sessions.FrontendOrigin(nil)
}

// startSession creates a session for u (cookies or headers, as the request's
// st-auth-mode asks) and answers with the user. ginsession records the
// device (User-Agent, client IP) with the session; rememberMe false makes
// it a browser-session-only one. The payload carries u's email and home
// frontend, from u's record. At the session cap (-max-sessions with
// -session-limit-policy refuse-new) it answers 409 with the user's devices,
// for the user to pick one to sign out (POST /signin/replace): the caller
// has just checked the password, so the list goes to the user it belongs to.
func (a *App) startSession(c *gin.Context, u *user, rememberMe *bool) {
	payload := map[string]any{"email": u.Email, "homeFrontend": a.homeFrontend(u)}
	data := map[string]any{}
	// A visitor's anonymous cart survives sign-in.
	carry := func(anon map[string]any) map[string]any {
		if cart := cartOf(anon); len(cart) > 0 {
			data["cart"] = cart
		}
		return data
	}
	var opts []ginsession.CreateOption
	if rememberMe != nil && !*rememberMe {
		opts = append(opts, ginsession.BrowserSessionOnly())
	}
	_, err := a.sessions.CreateFromAnonymous(c, u.ID, payload, carry, opts...)
	var limit *ginsession.SessionLimitError
	if errors.As(err, &limit) {
		devices := make([]sessionView, 0, len(limit.Sessions))
		for _, in := range limit.Sessions {
			devices = append(devices, viewOf(in))
		}
		c.JSON(http.StatusConflict, gin.H{"status": "SESSION_LIMIT_ERROR", "message": "session limit reached", "sessions": devices})
		return
	}
	if err != nil {
		a.sessions.HandleError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "OK", "user": gin.H{"id": u.ID, "email": u.Email}})
}
