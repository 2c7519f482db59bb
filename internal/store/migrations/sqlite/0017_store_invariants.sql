-- The store's invariants, kept by the database rather than by the order
-- in which one writer happens to run.
--
-- event_clock hands out event positions (events.seq): Events.Record takes
-- the next one by incrementing it in the recording transaction. The row
-- lock orders event-writing transactions, so seqs are gap-free and in
-- commit order, and a reader that stops at the clock's committed value
-- can never pass an event still to commit (an AUTOINCREMENT or sequence
-- value is taken before commit, and commits may land out of its order).
-- It starts at the highest seq ever given out: SQLite's AUTOINCREMENT
-- counter too, in case the newest events were ever removed.
CREATE TABLE event_clock (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	seq INTEGER NOT NULL
);
INSERT INTO event_clock (id, seq) VALUES (1, max(
	(SELECT COALESCE(MAX(seq), 0) FROM events),
	(SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'events')));

-- A deployment group has at most one active deployment (CodeDeploy's
-- DeploymentLimitExceededException): CreateDeployment checks first, for
-- the error that names the active one, and this index holds whatever the
-- order in which concurrent calls check and insert. The statuses are
-- codedeploy's activeStatuses; status is kept in step with the
-- deployment's document on every write.
CREATE UNIQUE INDEX cd_deployments_one_active ON cd_deployments(group_id) WHERE status IN ('Created', 'Queued', 'InProgress', 'Baking', 'Ready');
