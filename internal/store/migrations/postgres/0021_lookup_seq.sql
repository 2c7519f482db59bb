-- LookupEvents lists newest first by (time, seq), and a NextToken resumes
-- after a (time, seq) position (keyset, never OFFSET). Several events share
-- an instant, so the lookup indexes end in seq too: every lookup, its
-- later pages included, is then one walk down one index in the listing's
-- order, with no sort of the events of an instant. (SQLite already kept
-- the key of each row at the end of these indexes, so its plans do not
-- change; PostgreSQL sorted the ties of each instant.)

DROP INDEX events_time;
DROP INDEX events_name;
DROP INDEX events_source;
DROP INDEX events_user;
DROP INDEX events_key;
DROP INDEX events_read_only;
CREATE INDEX events_time      ON events(account, region, time, seq)             WHERE category = 'Management';
CREATE INDEX events_name      ON events(account, region, name, time, seq)       WHERE category = 'Management';
CREATE INDEX events_source    ON events(account, region, source, time, seq)     WHERE category = 'Management';
CREATE INDEX events_user      ON events(account, region, username, time, seq)   WHERE category = 'Management';
CREATE INDEX events_key       ON events(account, region, access_key, time, seq) WHERE category = 'Management';
CREATE INDEX events_read_only ON events(account, region, read_only, time, seq)  WHERE category = 'Management';

DROP INDEX event_resources_type;
DROP INDEX event_resources_name;
CREATE INDEX event_resources_type ON event_resources(account, region, type, time, seq);
CREATE INDEX event_resources_name ON event_resources(account, region, name, time, seq);
