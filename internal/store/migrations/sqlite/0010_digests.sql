-- Log file integrity validation (spec §9).
--
-- signing_keys: every region's digest signing keys, kept forever so that
-- ListPublicKeys can list old public keys; private_der is cleared when the
-- key is retired.
--
-- digest_chains: one row per (trail, account, region) chain while the
-- trail logs with validation on. start is the next digest's
-- digestStartTime, previous the JSON link to the last digest (NULL for a
-- starting digest). pending is the digest recorded but not yet written to
-- the bucket (JSON: bucket, key, body, metadata): it is stored in the same
-- transaction that advances the chain, so a crash can only make the
-- deliverer write the same digest again, never fork or skip the chain.
-- final marks the chain's last digest; the row goes once it is written.
--
-- digest_files: log files delivered for a chain and not yet in a digest,
-- written in the transaction that finishes their delivery.

CREATE TABLE signing_keys (
	fingerprint TEXT PRIMARY KEY,
	region      TEXT NOT NULL,
	public_der  BLOB NOT NULL,
	private_der BLOB,
	valid_from  INTEGER NOT NULL, -- Unix ns
	valid_to    INTEGER NOT NULL
);
CREATE INDEX signing_keys_region ON signing_keys(region, valid_from);

CREATE TABLE digest_chains (
	trail_arn  TEXT NOT NULL,
	account    TEXT NOT NULL,
	region     TEXT NOT NULL,
	generation INTEGER NOT NULL, -- the trail's StartLoggingTime (Unix ns) the chain belongs to
	start      INTEGER NOT NULL, -- Unix ns
	previous   TEXT,
	pending    TEXT,
	final      INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (trail_arn, account, region)
);
CREATE INDEX digest_chains_pending ON digest_chains(trail_arn) WHERE pending IS NOT NULL;

CREATE TABLE digest_files (
	id        INTEGER PRIMARY KEY,
	trail_arn TEXT NOT NULL,
	account   TEXT NOT NULL,
	region    TEXT NOT NULL,
	data      TEXT NOT NULL -- JSON digest.LogFile
);
CREATE INDEX digest_files_chain ON digest_files(trail_arn, account, region, id);

-- GetTrailStatus' LatestDigestDeliveryTime and LatestDigestDeliveryError.
ALTER TABLE trail_delivery ADD COLUMN latest_digest INTEGER NOT NULL DEFAULT 0; -- Unix ns of the last digest written
ALTER TABLE trail_delivery ADD COLUMN latest_digest_error TEXT NOT NULL DEFAULT '';
