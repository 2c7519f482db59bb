-- The outcome of trails' SNS notifications (GetTrailStatus'
-- LatestNotificationTime and LatestNotificationError), written by the
-- deliverer after each delivery's files.

ALTER TABLE trail_delivery ADD COLUMN latest_notification INTEGER NOT NULL DEFAULT 0;         -- Unix ns of the last success
ALTER TABLE trail_delivery ADD COLUMN latest_notification_attempt INTEGER NOT NULL DEFAULT 0; -- Unix ns of the last attempt
ALTER TABLE trail_delivery ADD COLUMN latest_notification_error TEXT NOT NULL DEFAULT '';
