-- Web console sessions (package console). id_hash is a hash of the
-- cookie's random id; sealed holds the session's temporary credentials
-- encrypted under a key derived from that id, so the rows sign nothing.
CREATE TABLE console_sessions (
	id_hash       TEXT PRIMARY KEY,
	account       TEXT NOT NULL,
	access_key_id TEXT NOT NULL,
	principal     TEXT NOT NULL,
	sealed        BLOB NOT NULL,
	-- the login profile said PasswordResetRequired: only the password page
	-- opens until the user changes it
	reset_password INTEGER NOT NULL DEFAULT 0,
	created       INTEGER NOT NULL,
	last_seen     INTEGER NOT NULL,
	expires       INTEGER NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions(expires);

-- Failed console sign-ins per (account, user name, address), hashed:
-- throttling shared by every server on the database.
CREATE TABLE console_signin_failures (
	key         TEXT PRIMARY KEY,
	count       INTEGER NOT NULL,
	first_at    INTEGER NOT NULL
);
