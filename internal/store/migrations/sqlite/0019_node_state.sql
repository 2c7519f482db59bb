-- State every node of a cluster must share, moved out of one node's files
-- and memory (issue 15). The PostgreSQL twin has the same tables.
--
-- signers are the server's long-lived signing identities: "sns" signs SNS
-- envelopes (subscribers fetch the certificate by its hash), and
-- "codedeploy-spec" signs deployment specifications (agents pin its
-- certificate). Whichever node starts first makes one (or imports the
-- files an earlier version kept in the data directory) with an
-- insert-if-absent; every node then reads the same row. key_pem is a
-- secret: never logged, never in an event.
CREATE TABLE signers (
	name     TEXT PRIMARY KEY,
	key_pem  BLOB NOT NULL,
	cert_pem BLOB NOT NULL,
	created  INTEGER NOT NULL -- Unix ns
);

-- bucket_lifecycle holds each directory bucket's lifecycle configuration,
-- the lifecycle package's JSON (before, <data>/lifecycle/<bucket>.json,
-- imported once on start).
CREATE TABLE bucket_lifecycle (
	bucket  TEXT PRIMARY KEY,
	config  TEXT NOT NULL,
	updated INTEGER NOT NULL -- Unix ns
);

-- A trail's delivery backoff (before, the delivering process's memory):
-- failures counts the bucket failures since the last delivery that
-- worked, and no attempt is made before retry_at (Unix ns; 0: at once),
-- so that a node taking delivery over keeps a failing bucket's backoff.
ALTER TABLE trail_delivery ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trail_delivery ADD COLUMN retry_at INTEGER NOT NULL DEFAULT 0;
