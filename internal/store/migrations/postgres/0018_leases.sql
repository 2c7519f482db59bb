-- Leases of the singleton workers (delivery, the SNS dispatcher, the
-- deployment engine, sweeping): one row per lease, kept after release so
-- that its fencing token only grows. expires is Unix nanoseconds.
CREATE TABLE leases (
	name    TEXT PRIMARY KEY,
	holder  TEXT NOT NULL,
	token   BIGINT NOT NULL,
	expires BIGINT NOT NULL
);
