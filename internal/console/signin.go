package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// Sign-in throttling: after maxFailures failed attempts for one account,
// user name and address within failureWindow, attempts are refused
// unchecked until the window ends. Counted in the store, so every server
// on the database sees the same count.
const (
	maxFailures   = 5
	failureWindow = 15 * time.Minute
)

// Field bounds of the sign-in form.
const (
	maxFormBytes   = 16 << 10
	maxAccountLen  = 63 // an alias is at most 63 characters
	maxUserNameLen = 64
	maxPasswordLen = 128
	loginCookie    = "dt_login" // the sign-in form's CSRF token (double submit)
)

// AWS's console messages.
const (
	msgBadCredentials = "Your authentication information is incorrect. Please try again."
	msgThrottled      = "Too many failed sign-in attempts. Wait a few minutes and try again."
)

type signInForm struct {
	Account, UserName, password string
}

func readSignInForm(r *http.Request) (signInForm, bool) {
	f := signInForm{Account: strings.TrimSpace(r.PostFormValue("account")),
		UserName: strings.TrimSpace(r.PostFormValue("username")), password: r.PostFormValue("password")}
	ok := f.Account != "" && f.password != "" && len(f.Account) <= maxAccountLen &&
		len(f.UserName) <= maxUserNameLen && len(f.password) <= maxPasswordLen
	return f, ok
}

// signInPage shows the sign-in form with a fresh form token.
func (c *Console) signInPage(w http.ResponseWriter, r *http.Request, status int, f signInForm, msg string) {
	token := newID()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: token, Path: Path, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	c.render(w, r, status, "signin.html", &page{Title: "Sign in", CSRF: token, Error: msg, Data: f})
}

func (c *Console) getSignIn(w http.ResponseWriter, r *http.Request) {
	if a, err := c.session(r); err == nil && a != nil {
		http.Redirect(w, r, home, http.StatusSeeOther)
		return
	}
	f := signInForm{Account: r.URL.Query().Get("account")}
	if len(f.Account) > maxAccountLen {
		f.Account = ""
	}
	c.signInPage(w, r, http.StatusOK, f, "")
}

// postSignIn checks a sign-in and records it, success or failure, as
// AWS does (ConsoleLogin).
func (c *Console) postSignIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	ck, err := r.Cookie(loginCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), ck.Value) {
		c.forbidden(w, r)
		return
	}
	f, ok := readSignInForm(r)
	if !ok {
		c.signInPage(w, r, http.StatusBadRequest, f, msgBadCredentials)
		return
	}
	ctx := r.Context()
	key := throttleKey(f, c.SourceIP(r))
	now := c.now()
	n, err := c.Store.SignInFailures(ctx, key, now.Add(-failureWindow))
	if err != nil {
		c.internal(w, r, err)
		return
	}
	if n >= maxFailures {
		// Refused before the password is checked: like requests that fail
		// SigV4, a throttled attempt is logged, not recorded.
		c.Logger.Warn("console sign-in throttled", "source_ip", c.SourceIP(r))
		c.signInPage(w, r, http.StatusTooManyRequests, f, msgThrottled)
		return
	}
	in, err := c.IAM.CheckConsolePassword(ctx, f.Account, f.UserName, f.password)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	if err := c.recordSignIn(r, trail.EventConsoleLogin, in.Principal, in.Account, in.OK); err != nil {
		c.internal(w, r, err)
		return
	}
	if !in.OK {
		if _, err := c.Store.NoteSignInFailure(ctx, key, now, now.Add(-failureWindow)); err != nil {
			c.internal(w, r, err)
			return
		}
		c.signInPage(w, r, http.StatusUnauthorized, signInForm{Account: f.Account, UserName: f.UserName}, msgBadCredentials)
		return
	}
	c.signedIn(w, r, key, in)
}

func (c *Console) signedIn(w http.ResponseWriter, r *http.Request, key string, in *iam.SignIn) {
	if err := c.Store.ClearSignInFailures(r.Context(), key); err != nil {
		c.internal(w, r, err)
		return
	}
	id, err := c.startSession(r.Context(), in.Principal, in.ResetRequired)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Path: Path, MaxAge: -1})
	setCookie(w, r, id, c.maxAge())
	if in.ResetRequired {
		http.Redirect(w, r, passwordPath, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, home, http.StatusSeeOther)
}

// throttleKey names the failures of one account, user and address,
// hashed: people paste passwords into the user name field.
func throttleKey(f signInForm, ip string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(f.Account) + "\x00" + strings.ToLower(f.UserName) + "\x00" + ip))
	return hex.EncodeToString(sum[:])
}

// recordSignIn records a sign-in or sign-out. An attempt in an account
// that does not exist is not recorded: it has no account's history to go
// in.
func (c *Console) recordSignIn(r *http.Request, name string, p *awsproto.Principal, account string, ok bool) error {
	if account == "" {
		return nil
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	ev := trail.SignIn(trail.SignInInput{EventName: name, Principal: p, Account: account, Time: c.now(),
		SourceIP: c.SourceIP(r), UserAgent: r.UserAgent(), Success: ok, LoginTo: scheme + "://" + r.Host + home,
		EventID: trail.NewEventID()})
	return c.Ledger.Tx(r.Context(), func(ctx context.Context) error { return c.Ledger.Record(ctx, ev) })
}

// signOut ends the session, revokes its credentials and records it.
func (c *Console) signOut(w http.ResponseWriter, r *http.Request, a *active) {
	if err := c.endSession(r.Context(), a.Session); err != nil {
		c.internal(w, r, err)
		return
	}
	p := &awsproto.Principal{Type: a.Principal.Type, ARN: a.Principal.ARN, UserName: a.Principal.UserName,
		PrincipalID: a.Principal.PrincipalID, AccountID: a.Account}
	if err := c.recordSignIn(r, trail.EventConsoleSignout, p, a.Account, true); err != nil {
		c.internal(w, r, err)
		return
	}
	setCookie(w, r, "", 0)
	http.Redirect(w, r, Path+"/signin", http.StatusSeeOther)
}
