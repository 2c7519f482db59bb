-- PostgreSQL's first migration: the schema SQLite has after its
-- migrations 0001-0016 (see those files for what each table is for), in
-- one step. From 0017 on, every migration has a twin under the same
-- number in ../sqlite. TestSchemasMatch compares the two schemas.
--
-- Types follow the store's rules: INTEGER becomes BIGINT, BLOB BYTEA;
-- flags stay 0/1 integers and times Unix nanoseconds. SQLite's
-- INTEGER PRIMARY KEY row ids become identity columns.

CREATE TABLE accounts (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	email         TEXT NOT NULL,
	alias         TEXT UNIQUE,
	status        TEXT NOT NULL,
	joined_method TEXT NOT NULL,
	created       BIGINT NOT NULL,
	org_id        TEXT
);

CREATE TABLE entities (
	id       TEXT PRIMARY KEY,
	account  TEXT NOT NULL REFERENCES accounts(id),
	kind     TEXT NOT NULL,
	name     TEXT NOT NULL,
	name_key TEXT NOT NULL,
	path     TEXT NOT NULL,
	created  BIGINT NOT NULL,
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
	created    BIGINT NOT NULL,
	PRIMARY KEY (policy_id, version_id)
);

CREATE TABLE policy_attachments (
	owner_id   TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
	policy_arn TEXT NOT NULL,
	PRIMARY KEY (owner_id, policy_arn)
);
CREATE INDEX policy_attachments_policy ON policy_attachments(policy_arn);

CREATE TABLE access_keys (
	id                TEXT PRIMARY KEY,
	account           TEXT NOT NULL REFERENCES accounts(id),
	user_id           TEXT NOT NULL DEFAULT '',
	secret            TEXT NOT NULL,
	status            TEXT NOT NULL,
	created           BIGINT NOT NULL,
	last_used         BIGINT NOT NULL DEFAULT 0,
	last_used_service TEXT NOT NULL DEFAULT '',
	last_used_region  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX access_keys_user ON access_keys(account, user_id);

CREATE TABLE login_profiles (
	user_id        TEXT PRIMARY KEY REFERENCES entities(id) ON DELETE CASCADE,
	password_hash  TEXT NOT NULL,
	reset_required BIGINT NOT NULL,
	created        BIGINT NOT NULL
);

CREATE TABLE sessions (
	access_key_id TEXT PRIMARY KEY,
	account       TEXT NOT NULL,
	expires       BIGINT NOT NULL,
	data          TEXT NOT NULL
);
CREATE INDEX sessions_expires ON sessions(expires);

CREATE TABLE organizations (
	id                 TEXT PRIMARY KEY,
	management_account TEXT NOT NULL UNIQUE REFERENCES accounts(id),
	feature_set        TEXT NOT NULL,
	created            BIGINT NOT NULL
);

CREATE TABLE create_account_requests (
	id             TEXT PRIMARY KEY,
	org_id         TEXT NOT NULL REFERENCES organizations(id),
	account_name   TEXT NOT NULL,
	state          TEXT NOT NULL,
	requested      BIGINT NOT NULL,
	completed      BIGINT NOT NULL DEFAULT 0,
	account_id     TEXT NOT NULL DEFAULT '',
	failure_reason TEXT NOT NULL DEFAULT ''
);

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- CodeDeploy.

CREATE TABLE cd_applications (
	id      TEXT PRIMARY KEY,
	account TEXT NOT NULL,
	region  TEXT NOT NULL,
	name    TEXT NOT NULL,
	data    TEXT NOT NULL,
	UNIQUE (account, region, name)
);

CREATE TABLE cd_deployment_groups (
	id          TEXT PRIMARY KEY,
	app_id      TEXT NOT NULL REFERENCES cd_applications(id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	config_name TEXT NOT NULL,
	data        TEXT NOT NULL,
	UNIQUE (app_id, name)
);

CREATE TABLE cd_deployment_configs (
	account TEXT NOT NULL,
	region  TEXT NOT NULL,
	name    TEXT NOT NULL,
	data    TEXT NOT NULL,
	PRIMARY KEY (account, region, name)
);

CREATE TABLE cd_revisions (
	app_id TEXT NOT NULL REFERENCES cd_applications(id) ON DELETE CASCADE,
	key    TEXT NOT NULL,
	data   TEXT NOT NULL,
	PRIMARY KEY (app_id, key)
);

CREATE TABLE cd_deployments (
	id            TEXT PRIMARY KEY,
	account       TEXT NOT NULL,
	region        TEXT NOT NULL,
	app_id        TEXT NOT NULL,
	group_id      TEXT NOT NULL,
	status        TEXT NOT NULL,
	created       BIGINT NOT NULL,
	external_id   TEXT NOT NULL DEFAULT '',
	data          TEXT NOT NULL,
	lease_owner   TEXT NOT NULL DEFAULT '',
	lease_expires BIGINT NOT NULL DEFAULT 0,
	plan          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cd_deployments_scope ON cd_deployments(account, region, created);
CREATE INDEX cd_deployments_group ON cd_deployments(group_id, status);
CREATE INDEX cd_deployments_status ON cd_deployments(status, created);

CREATE TABLE cd_targets (
	deployment_id TEXT NOT NULL REFERENCES cd_deployments(id) ON DELETE CASCADE,
	target_id     TEXT NOT NULL,
	data          TEXT NOT NULL,
	status        TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (deployment_id, target_id)
);
CREATE INDEX cd_targets_status ON cd_targets(deployment_id, status);

CREATE TABLE cd_instances (
	account    TEXT NOT NULL,
	region     TEXT NOT NULL,
	name       TEXT NOT NULL,
	iam_arn    TEXT NOT NULL,
	registered BIGINT NOT NULL,
	data       TEXT NOT NULL,
	PRIMARY KEY (account, region, name)
);
CREATE INDEX cd_instances_iam ON cd_instances(account, region, iam_arn);

CREATE TABLE cd_github_tokens (
	account TEXT NOT NULL,
	region  TEXT NOT NULL,
	name    TEXT NOT NULL,
	token   TEXT NOT NULL,
	PRIMARY KEY (account, region, name)
);

CREATE TABLE cd_host_commands (
	id            TEXT PRIMARY KEY,
	account       TEXT NOT NULL,
	region        TEXT NOT NULL,
	host          TEXT NOT NULL,
	deployment_id TEXT NOT NULL REFERENCES cd_deployments(id) ON DELETE CASCADE,
	target_id     TEXT NOT NULL,
	command_name  TEXT NOT NULL,
	state         TEXT NOT NULL,
	created       BIGINT NOT NULL,
	data          TEXT NOT NULL,
	UNIQUE (deployment_id, target_id, command_name)
);
CREATE INDEX cd_host_commands_poll ON cd_host_commands(account, region, host, state, created);
CREATE INDEX cd_host_commands_deployment ON cd_host_commands(deployment_id, state);
CREATE INDEX cd_host_commands_host ON cd_host_commands(deployment_id, host, created, id);

-- The audit trail.

CREATE TABLE events (
	seq        BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	event_id   TEXT NOT NULL UNIQUE,
	account    TEXT NOT NULL,
	region     TEXT NOT NULL,
	time       BIGINT NOT NULL,
	source     TEXT NOT NULL,
	name       TEXT NOT NULL,
	read_only  BIGINT NOT NULL,
	username   TEXT NOT NULL,
	access_key TEXT NOT NULL,
	record     TEXT NOT NULL,
	category   TEXT NOT NULL DEFAULT 'Management'
);
CREATE INDEX events_time      ON events(account, region, time)             WHERE category = 'Management';
CREATE INDEX events_name      ON events(account, region, name, time)       WHERE category = 'Management';
CREATE INDEX events_source    ON events(account, region, source, time)     WHERE category = 'Management';
CREATE INDEX events_user      ON events(account, region, username, time)   WHERE category = 'Management';
CREATE INDEX events_key       ON events(account, region, access_key, time) WHERE category = 'Management';
CREATE INDEX events_read_only ON events(account, region, read_only, time)  WHERE category = 'Management';

CREATE TABLE event_resources (
	seq     BIGINT NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
	type    TEXT NOT NULL,
	name    TEXT NOT NULL,
	account TEXT NOT NULL,
	region  TEXT NOT NULL,
	time    BIGINT NOT NULL,
	PRIMARY KEY (seq, type, name)
);
CREATE INDEX event_resources_type ON event_resources(account, region, type, time);
CREATE INDEX event_resources_name ON event_resources(account, region, name, time);

-- CloudTrail trails and their delivery.

CREATE TABLE trails (
	arn         TEXT PRIMARY KEY,
	account     TEXT NOT NULL,
	home_region TEXT NOT NULL,
	name        TEXT NOT NULL,
	org_id      TEXT NOT NULL DEFAULT '',
	data        TEXT NOT NULL
);
CREATE INDEX trails_account ON trails(account, name);
CREATE INDEX trails_org ON trails(org_id) WHERE org_id <> '';

CREATE TABLE trail_delivery (
	arn                         TEXT PRIMARY KEY,
	cursor                      BIGINT NOT NULL,
	until_seq                   BIGINT,
	started                     BIGINT NOT NULL,
	intent                      TEXT,
	latest_delivery             BIGINT NOT NULL DEFAULT 0,
	latest_attempt              BIGINT NOT NULL DEFAULT 0,
	latest_attempt_ok           BIGINT NOT NULL DEFAULT 0,
	latest_error                TEXT NOT NULL DEFAULT '',
	skips                       TEXT,
	trail                       TEXT,
	latest_notification         BIGINT NOT NULL DEFAULT 0,
	latest_notification_attempt BIGINT NOT NULL DEFAULT 0,
	latest_notification_error   TEXT NOT NULL DEFAULT '',
	latest_digest               BIGINT NOT NULL DEFAULT 0,
	latest_digest_error         TEXT NOT NULL DEFAULT ''
);

CREATE TABLE trail_config (
	id      BIGINT PRIMARY KEY CHECK (id = 1),
	version BIGINT NOT NULL
);
INSERT INTO trail_config (id, version) VALUES (1, 0);

-- SNS.

CREATE TABLE sns_topics (
	arn     TEXT PRIMARY KEY,
	account TEXT NOT NULL,
	region  TEXT NOT NULL,
	data    TEXT NOT NULL
);
CREATE INDEX sns_topics_account ON sns_topics(account, region, arn);

CREATE TABLE sns_subscriptions (
	arn       TEXT PRIMARY KEY,
	topic_arn TEXT NOT NULL,
	owner     TEXT NOT NULL,
	region    TEXT NOT NULL,
	data      TEXT NOT NULL
);
CREATE INDEX sns_subscriptions_topic ON sns_subscriptions(topic_arn, arn);
CREATE INDEX sns_subscriptions_owner ON sns_subscriptions(owner, region, arn);

CREATE TABLE sns_outbox (
	id               BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	subscription_arn TEXT NOT NULL,
	next             BIGINT NOT NULL,
	data             TEXT NOT NULL
);
CREATE INDEX sns_outbox_due ON sns_outbox(next);
CREATE INDEX sns_outbox_subscription ON sns_outbox(subscription_arn);

-- Log file integrity validation.

CREATE TABLE signing_keys (
	fingerprint TEXT PRIMARY KEY,
	region      TEXT NOT NULL,
	public_der  BYTEA NOT NULL,
	private_der BYTEA,
	valid_from  BIGINT NOT NULL,
	valid_to    BIGINT NOT NULL
);
CREATE INDEX signing_keys_region ON signing_keys(region, valid_from);

CREATE TABLE digest_chains (
	trail_arn  TEXT NOT NULL,
	account    TEXT NOT NULL,
	region     TEXT NOT NULL,
	generation BIGINT NOT NULL,
	start      BIGINT NOT NULL,
	previous   TEXT,
	pending    TEXT,
	final      BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (trail_arn, account, region)
);
CREATE INDEX digest_chains_pending ON digest_chains(trail_arn) WHERE pending IS NOT NULL;

CREATE TABLE digest_files (
	id        BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	trail_arn TEXT NOT NULL,
	account   TEXT NOT NULL,
	region    TEXT NOT NULL,
	data      TEXT NOT NULL
);
CREATE INDEX digest_files_chain ON digest_files(trail_arn, account, region, id);

-- Buckets.

CREATE TABLE bucket_policies (
	bucket        TEXT PRIMARY KEY,
	owner         TEXT NOT NULL DEFAULT '',
	policy        TEXT NOT NULL DEFAULT '',
	sse_algorithm TEXT NOT NULL DEFAULT '',
	kms_key_id    TEXT NOT NULL DEFAULT ''
);

-- Web console.

CREATE TABLE console_sessions (
	id_hash        TEXT PRIMARY KEY,
	account        TEXT NOT NULL,
	access_key_id  TEXT NOT NULL,
	principal      TEXT NOT NULL,
	sealed         BYTEA NOT NULL,
	reset_password BIGINT NOT NULL DEFAULT 0,
	created        BIGINT NOT NULL,
	last_seen      BIGINT NOT NULL,
	expires        BIGINT NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions(expires);

CREATE TABLE console_signin_failures (
	key      TEXT PRIMARY KEY,
	count    BIGINT NOT NULL,
	first_at BIGINT NOT NULL
);
