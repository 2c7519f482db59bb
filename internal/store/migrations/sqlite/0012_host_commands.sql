-- The deployment engine (package codedeploy, engine.go). A deployment is
-- driven by one engine at a time: the one holding its lease, which it
-- claims and renews with a conditional UPDATE and which expires when its
-- holder dies, so that another engine on the same database takes over.
ALTER TABLE cd_deployments ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE cd_deployments ADD COLUMN lease_expires INTEGER NOT NULL DEFAULT 0;
CREATE INDEX cd_deployments_status ON cd_deployments(status, created);

-- Host commands: one per (deployment, instance, lifecycle event) once it
-- is due, kept whole in data (codedeploy.HostCommand); the columns serve
-- the agent's poll (the oldest Pending command of a host) and the engine.
-- id is the unguessable HostCommandIdentifier.
CREATE TABLE cd_host_commands (
	id            TEXT PRIMARY KEY,
	account       TEXT NOT NULL,
	region        TEXT NOT NULL,
	host          TEXT NOT NULL,
	deployment_id TEXT NOT NULL REFERENCES cd_deployments(id) ON DELETE CASCADE,
	target_id     TEXT NOT NULL,
	command_name  TEXT NOT NULL,
	state         TEXT NOT NULL,
	created       INTEGER NOT NULL,
	data          TEXT NOT NULL,
	UNIQUE (deployment_id, target_id, command_name)
);
CREATE INDEX cd_host_commands_poll ON cd_host_commands(account, region, host, state, created);
CREATE INDEX cd_host_commands_deployment ON cd_host_commands(deployment_id, state);
