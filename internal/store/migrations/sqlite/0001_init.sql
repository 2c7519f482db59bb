-- Accounts and identities (IAM, STS, Organizations).
-- Times are Unix nanoseconds. Entity names are unique per account and kind
-- without regard to case (name_key is the lower-cased name).

CREATE TABLE accounts (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	email         TEXT NOT NULL,
	alias         TEXT UNIQUE,
	status        TEXT NOT NULL,
	joined_method TEXT NOT NULL,
	created       INTEGER NOT NULL,
	org_id        TEXT
);

CREATE TABLE entities (
	id       TEXT PRIMARY KEY,
	account  TEXT NOT NULL REFERENCES accounts(id),
	kind     TEXT NOT NULL,
	name     TEXT NOT NULL,
	name_key TEXT NOT NULL,
	path     TEXT NOT NULL,
	created  INTEGER NOT NULL,
	data     TEXT NOT NULL,
	UNIQUE (account, kind, name_key)
);

CREATE TABLE group_members (
	group_id TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
	user_id  TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
	PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members(user_id);

CREATE TABLE inline_policies (
	owner_id TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
	name     TEXT NOT NULL,
	name_key TEXT NOT NULL,
	document TEXT NOT NULL,
	PRIMARY KEY (owner_id, name_key)
);

CREATE TABLE policy_versions (
	policy_id  TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
	version_id TEXT NOT NULL,
	document   TEXT NOT NULL,
	created    INTEGER NOT NULL,
	PRIMARY KEY (policy_id, version_id)
);

-- policy_arn is not a foreign key: AWS managed policies live in code.
CREATE TABLE policy_attachments (
	owner_id   TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
	policy_arn TEXT NOT NULL,
	PRIMARY KEY (owner_id, policy_arn)
);
CREATE INDEX policy_attachments_policy ON policy_attachments(policy_arn);

CREATE TABLE access_keys (
	id                TEXT PRIMARY KEY,
	account           TEXT NOT NULL REFERENCES accounts(id),
	user_id           TEXT NOT NULL DEFAULT '', -- '' is the account root
	secret            TEXT NOT NULL,
	status            TEXT NOT NULL,
	created           INTEGER NOT NULL,
	last_used         INTEGER NOT NULL DEFAULT 0,
	last_used_service TEXT NOT NULL DEFAULT '',
	last_used_region  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX access_keys_user ON access_keys(account, user_id);

CREATE TABLE login_profiles (
	user_id        TEXT PRIMARY KEY REFERENCES entities(id) ON DELETE CASCADE,
	password_hash  TEXT NOT NULL,
	reset_required INTEGER NOT NULL,
	created        INTEGER NOT NULL
);

CREATE TABLE sessions (
	access_key_id TEXT PRIMARY KEY,
	account       TEXT NOT NULL,
	expires       INTEGER NOT NULL,
	data          TEXT NOT NULL
);
CREATE INDEX sessions_expires ON sessions(expires);

CREATE TABLE organizations (
	id                 TEXT PRIMARY KEY,
	management_account TEXT NOT NULL UNIQUE REFERENCES accounts(id),
	feature_set        TEXT NOT NULL,
	created            INTEGER NOT NULL
);

CREATE TABLE create_account_requests (
	id             TEXT PRIMARY KEY,
	org_id         TEXT NOT NULL REFERENCES organizations(id),
	account_name   TEXT NOT NULL,
	state          TEXT NOT NULL,
	requested      INTEGER NOT NULL,
	completed      INTEGER NOT NULL DEFAULT 0,
	account_id     TEXT NOT NULL DEFAULT '',
	failure_reason TEXT NOT NULL DEFAULT ''
);

-- Server-wide settings, such as which account is the management account.
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
