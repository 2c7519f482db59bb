-- What the deployment engine and the command service read on every
-- lifecycle event, served by indexes rather than by decoding documents:
--
-- A target's status as a column, written with its document by PutTargets,
-- so that a deployment's overview is counted by GROUP BY status over the
-- index alone (TargetStatusCounts), in plain SQL every backend runs.
ALTER TABLE cd_targets ADD COLUMN status TEXT NOT NULL DEFAULT '';
UPDATE cd_targets SET status = COALESCE(json_extract(data, '$.status'), '');
CREATE INDEX cd_targets_status ON cd_targets(deployment_id, status);

-- A host's commands in a deployment, oldest first
-- (GetDeploymentSpecification), without reading the other hosts'.
CREATE INDEX cd_host_commands_host ON cd_host_commands(deployment_id, host, created, id);

-- The engine's plan (codedeploy.Plan) in its own column, out of the
-- deployment's document: its dispatch order names every target, and the
-- document is decoded and written again on every lifecycle event and
-- poll. Plans of deployments already running move over.
ALTER TABLE cd_deployments ADD COLUMN plan TEXT NOT NULL DEFAULT '';
UPDATE cd_deployments SET plan = json_extract(data, '$.Plan'), data = json_remove(data, '$.Plan')
	WHERE json_type(data, '$.Plan') = 'object';
