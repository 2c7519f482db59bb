-- The store's invariants, kept by the database rather than by the order
-- in which one writer happens to run (the twin of sqlite/0017).
--
-- event_clock hands out event positions (events.seq): Events.Record takes
-- the next one by incrementing it in the recording transaction. The row
-- lock orders event-writing transactions, so seqs are gap-free and in
-- commit order, and a reader that stops at the clock's committed value
-- can never pass an event still to commit (a sequence value is taken
-- before commit, and commits may land out of its order).
CREATE TABLE event_clock (
	id  BIGINT PRIMARY KEY CHECK (id = 1),
	seq BIGINT NOT NULL
);
INSERT INTO event_clock (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM events;
-- The identity that numbered events before is no longer used: dropping it
-- leaves the clock the only source of positions.
ALTER TABLE events ALTER COLUMN seq DROP IDENTITY IF EXISTS;

-- A deployment group has at most one active deployment (CodeDeploy's
-- DeploymentLimitExceededException): CreateDeployment checks first, for
-- the error that names the active one, and this index holds whatever the
-- order in which concurrent calls check and insert. The statuses are
-- codedeploy's activeStatuses; status is kept in step with the
-- deployment's document on every write.
CREATE UNIQUE INDEX cd_deployments_one_active ON cd_deployments(group_id) WHERE status IN ('Created', 'Queued', 'InProgress', 'Baking', 'Ready');
