-- Data events (S3 object-level calls, cloudtrail.md §4.3) are stored
-- beside management events, for the trails whose selectors choose them,
-- but event history never shows them (§11.3). category is the record's
-- eventCategory. The lookup indexes are rebuilt as partial indexes of
-- management events: a page of event history walks past no data event
-- however many an account makes, and a data event costs no lookup index
-- entries. (Putting category into the indexes instead made SQLite's
-- planner prefer events_time to the attribute indexes.)

ALTER TABLE events ADD COLUMN category TEXT NOT NULL DEFAULT 'Management';

DROP INDEX events_time;
DROP INDEX events_name;
DROP INDEX events_source;
DROP INDEX events_user;
DROP INDEX events_key;
DROP INDEX events_read_only;
CREATE INDEX events_time      ON events(account, region, time)             WHERE category = 'Management';
CREATE INDEX events_name      ON events(account, region, name, time)       WHERE category = 'Management';
CREATE INDEX events_source    ON events(account, region, source, time)     WHERE category = 'Management';
CREATE INDEX events_user      ON events(account, region, username, time)   WHERE category = 'Management';
CREATE INDEX events_key       ON events(account, region, access_key, time) WHERE category = 'Management';
CREATE INDEX events_read_only ON events(account, region, read_only, time)  WHERE category = 'Management';

-- trail_config counts changes to trails (and to organization membership,
-- which widens or narrows organization trails): the data event filter
-- reloads its cached trails when the count moves.
CREATE TABLE trail_config (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL
);
INSERT INTO trail_config (id, version) VALUES (1, 0);
