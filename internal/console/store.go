package console

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is what a Store returns for a session it does not have.
var ErrNotFound = errors.New("console: not found")

// Session is a signed-in browser, as the store keeps it. The cookie's id
// is kept only hashed; the temporary credentials are kept sealed with a
// key derived from that id, so the rows alone sign nothing.
type Session struct {
	IDHash      string
	Account     string
	Principal   Who
	AccessKeyID string
	Sealed      []byte // secret key and session token, AES-GCM under the cookie's id
	// ResetPassword: the user must change the password before anything
	// else (the login profile's PasswordResetRequired).
	ResetPassword bool
	Created       time.Time
	LastSeen      time.Time
	Expires       time.Time
}

// Who is the signed-in principal as the pages show it.
type Who struct {
	Type, ARN, UserName, PrincipalID string
}

// Store keeps console sessions and sign-in failures in the database, so
// that several servers on one database share them.
type Store interface {
	// Tx runs fn in one transaction (see server.Ledger).
	Tx(ctx context.Context, fn func(ctx context.Context) error) error
	InsertConsoleSession(ctx context.Context, s *Session) error
	// ConsoleSession returns ErrNotFound for an unknown id hash.
	ConsoleSession(ctx context.Context, idHash string) (*Session, error)
	TouchConsoleSession(ctx context.Context, idHash string, at time.Time) error
	// PasswordChanged clears a session's ResetPassword.
	PasswordChanged(ctx context.Context, idHash string) error
	DeleteConsoleSession(ctx context.Context, idHash string) error
	// DeleteConsoleSessionsBefore removes sessions that expired before t
	// or were last seen before idleBefore.
	DeleteConsoleSessionsBefore(ctx context.Context, t, idleBefore time.Time) error
	// NoteSignInFailure counts one failure under key in a window that
	// starts at the first failure after windowStart, and returns the count.
	NoteSignInFailure(ctx context.Context, key string, at, windowStart time.Time) (int, error)
	// SignInFailures is the count under key since windowStart.
	SignInFailures(ctx context.Context, key string, windowStart time.Time) (int, error)
	ClearSignInFailures(ctx context.Context, key string) error
}
