-- The event history's resource index: the resources LookupEvents shows for
-- an event and finds it by (trail.Event.LookupResources), one row each.
-- account, region and time are copies of the event's, so that a lookup by
-- resource walks one index newest first and stops after a page, like the
-- lookups by the other attributes; without them it would have to fetch
-- and sort every event of the resource. The table is clustered by event,
-- so a page's resources are one range read each.

CREATE TABLE event_resources (
	seq     INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
	type    TEXT NOT NULL, -- '' when unknown
	name    TEXT NOT NULL,
	account TEXT NOT NULL,
	region  TEXT NOT NULL,
	time    INTEGER NOT NULL,
	PRIMARY KEY (seq, type, name)
) WITHOUT ROWID;
CREATE INDEX event_resources_type ON event_resources(account, region, type, time);
CREATE INDEX event_resources_name ON event_resources(account, region, name, time);

CREATE INDEX events_read_only ON events(account, region, read_only, time);
