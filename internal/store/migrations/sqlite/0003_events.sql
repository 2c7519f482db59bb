-- The audit trail: one row per recorded API call, committed in the same
-- transaction as the call's changes. seq orders events for delivery; the
-- other columns serve LookupEvents (newest first, by attribute).

CREATE TABLE events (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	event_id   TEXT NOT NULL UNIQUE,
	account    TEXT NOT NULL,
	region     TEXT NOT NULL,
	time       INTEGER NOT NULL, -- eventTime, Unix nanoseconds
	source     TEXT NOT NULL,
	name       TEXT NOT NULL,
	read_only  INTEGER NOT NULL,
	username   TEXT NOT NULL,
	access_key TEXT NOT NULL,
	record     TEXT NOT NULL     -- the CloudTrail record, compact JSON
);
CREATE INDEX events_time   ON events(account, region, time);
CREATE INDEX events_name   ON events(account, region, name, time);
CREATE INDEX events_source ON events(account, region, source, time);
CREATE INDEX events_user   ON events(account, region, username, time);
CREATE INDEX events_key    ON events(account, region, access_key, time);
