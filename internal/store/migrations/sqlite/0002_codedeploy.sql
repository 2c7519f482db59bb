-- CodeDeploy. Each resource is a JSON document (data) with the columns
-- lookups need beside it. Names are case-sensitive, as in CodeDeploy.

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

-- Deployments outlive their application and group (no cascade), so that
-- history stays readable by id.
CREATE TABLE cd_deployments (
	id          TEXT PRIMARY KEY,
	account     TEXT NOT NULL,
	region      TEXT NOT NULL,
	app_id      TEXT NOT NULL,
	group_id    TEXT NOT NULL,
	status      TEXT NOT NULL,
	created     INTEGER NOT NULL,
	external_id TEXT NOT NULL DEFAULT '',
	data        TEXT NOT NULL
);
CREATE INDEX cd_deployments_scope ON cd_deployments(account, region, created);
CREATE INDEX cd_deployments_group ON cd_deployments(group_id, status);

CREATE TABLE cd_targets (
	deployment_id TEXT NOT NULL REFERENCES cd_deployments(id) ON DELETE CASCADE,
	target_id     TEXT NOT NULL,
	data          TEXT NOT NULL,
	PRIMARY KEY (deployment_id, target_id)
);

CREATE TABLE cd_instances (
	account    TEXT NOT NULL,
	region     TEXT NOT NULL,
	name       TEXT NOT NULL,
	iam_arn    TEXT NOT NULL,
	registered INTEGER NOT NULL,
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
