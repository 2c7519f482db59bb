-- CreateDeployment counts the account's active deployments in the region
-- (the cap of 1,000) inside its write transaction. Through
-- cd_deployments_scope that read every deployment the region ever had and
-- looked each row up for its status; this index holds the active ones
-- alone, with their status, so that the count reads no row. The statuses
-- are codedeploy's activeStatuses, as in cd_deployments_one_active.
CREATE INDEX cd_deployments_active_scope ON cd_deployments(account, region, status) WHERE status IN ('Created', 'Queued', 'InProgress', 'Baking', 'Ready');
