package console

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// Session limits: a session ends 12 hours after sign-in (AWS's console
// maximum) or after an hour without a request, whichever is first.
const (
	DefaultMaxAge = 12 * time.Hour
	DefaultIdle   = time.Hour
	// touchInterval limits how often a session's last use is written.
	touchInterval = 30 * time.Second
	cookieName    = "dt_console"
	maxCookieLen  = 64
)

// creds are a session's temporary credentials, only ever in memory
// unsealed.
type creds struct{ AccessKeyID, Secret, Token string }

// active is a session found for a request.
type active struct {
	*Session
	id    string // the cookie's value
	creds creds
}

// csrf is the session's CSRF token: an HMAC of a fixed label under the
// session id, so it needs no storage and says nothing of the id.
func (a *active) csrf() string { return csrfToken(a.id) }

func csrfToken(id string) string {
	m := hmac.New(sha256.New, []byte(id))
	m.Write([]byte("deploytrail console csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func sameToken(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func newID() string {
	b := make([]byte, 32)
	rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashID(id string) string {
	sum := sha256.Sum256([]byte("deploytrail console session " + id))
	return hex.EncodeToString(sum[:])
}

func sealer(id string) cipher.AEAD {
	key := sha256.Sum256([]byte("deploytrail console seal " + id))
	block, _ := aes.NewCipher(key[:]) // a 32-byte key never fails
	aead, _ := cipher.NewGCM(block)
	return aead
}

func seal(id string, c creds) []byte {
	plain, _ := json.Marshal(c)
	aead := sealer(id)
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, plain, nil)
}

func unseal(id string, sealed []byte) (creds, error) {
	var c creds
	aead := sealer(id)
	if len(sealed) < aead.NonceSize() {
		return c, errors.New("sealed credentials too short")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], nil)
	if err != nil {
		return c, fmt.Errorf("unseal credentials: %w", err)
	}
	return c, json.Unmarshal(plain, &c)
}

// startSession issues the console credentials of p and stores a session;
// it returns the cookie's value.
func (c *Console) startSession(ctx context.Context, p *awsproto.Principal, resetPassword bool) (string, error) {
	now := c.now()
	sts, err := c.IAM.IssueConsoleSession(ctx, p, c.maxAge())
	if err != nil {
		return "", err
	}
	id := newID()
	s := &Session{IDHash: hashID(id), Account: p.AccountID, AccessKeyID: sts.AccessKeyId,
		Principal:     Who{Type: p.Type, ARN: p.ARN, UserName: p.UserName, PrincipalID: p.PrincipalID},
		Sealed:        seal(id, creds{AccessKeyID: sts.AccessKeyId, Secret: sts.SecretAccessKey, Token: sts.SessionToken}),
		ResetPassword: resetPassword,
		Created:       now, LastSeen: now, Expires: now.Add(c.maxAge())}
	if err := c.Store.InsertConsoleSession(ctx, s); err != nil {
		return "", err
	}
	return id, nil
}

// session finds the live session of r's cookie; nil when there is none
// or it expired (an expired one is ended on the way).
func (c *Console) session(r *http.Request) (*active, error) {
	ck, err := r.Cookie(cookieName)
	if err != nil || len(ck.Value) == 0 || len(ck.Value) > maxCookieLen {
		return nil, nil
	}
	ctx := r.Context()
	s, err := c.Store.ConsoleSession(ctx, hashID(ck.Value))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := c.now()
	if !now.Before(s.Expires) || now.Sub(s.LastSeen) >= c.idle() {
		return nil, c.endSession(ctx, s)
	}
	cr, err := unseal(ck.Value, s.Sealed)
	if err != nil {
		return nil, err
	}
	if now.Sub(s.LastSeen) >= touchInterval {
		if err := c.Store.TouchConsoleSession(ctx, s.IDHash, now); err != nil {
			return nil, err
		}
	}
	return &active{Session: s, id: ck.Value, creds: cr}, nil
}

// endSession deletes a session and revokes its credentials.
func (c *Console) endSession(ctx context.Context, s *Session) error {
	if err := c.IAM.EndSession(ctx, s.AccessKeyID); err != nil {
		return err
	}
	return c.Store.DeleteConsoleSession(ctx, s.IDHash)
}

// setCookie sets (or, with an empty value, clears) the session cookie:
// HttpOnly (no script reads it), SameSite=Strict (no other site's page
// sends it), Secure when served over TLS, scoped to the console.
func setCookie(w http.ResponseWriter, r *http.Request, value string, maxAge time.Duration) {
	ck := &http.Cookie{Name: cookieName, Value: value, Path: "/console", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: int(maxAge / time.Second)}
	if value == "" {
		ck.MaxAge = -1
	}
	http.SetCookie(w, ck)
}

// Sweep deletes ended sessions; app runs it periodically. Their
// credentials expire with the session's maximum age, and only the
// session's cookie could unseal them.
func (c *Console) Sweep(ctx context.Context) error {
	now := c.now()
	return c.Store.DeleteConsoleSessionsBefore(ctx, now, now.Add(-c.idle()))
}
