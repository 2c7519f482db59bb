-- Delivery of trails' events to their buckets (package delivery). One row
-- per trail that has ever logged, kept apart from the trail's record
-- because delivery writes it far more often than the configuration
-- changes (and must not race UpdateTrail's read-modify-write).
--
-- cursor is the last event seq the trail has delivered (or skipped: not
-- selected, or recorded before logging started); StartLogging sets it to
-- the newest seq, so that only later events are delivered. until_seq is
-- NULL while the trail logs; StopLogging sets it to the seq of its own
-- event, the last one to deliver. intent is the pending delivery, JSON:
-- recorded before any file is written, cleared together with the cursor's
-- advance, and redone exactly on restart (exactly-once delivery).

CREATE TABLE trail_delivery (
	arn                  TEXT PRIMARY KEY,
	cursor               INTEGER NOT NULL,
	until_seq            INTEGER,
	started              INTEGER NOT NULL,           -- StartLoggingTime the cursor was set for, Unix ns
	intent               TEXT,
	latest_delivery      INTEGER NOT NULL DEFAULT 0, -- Unix ns of the last successful delivery, 0 if none
	latest_attempt       INTEGER NOT NULL DEFAULT 0,
	latest_attempt_ok    INTEGER NOT NULL DEFAULT 0,
	latest_error         TEXT NOT NULL DEFAULT ''
);
