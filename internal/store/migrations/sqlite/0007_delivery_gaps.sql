-- Delivery owed across StopLogging/StartLogging and DeleteTrail.
--
-- skips is a JSON array of [after, upto] seq ranges, oldest first: the
-- events with after < seq <= upto were recorded while the trail was
-- stopped and are never delivered. StartLogging adds one when it finds
-- events up to the stop point still undelivered, and keeps the cursor, so
-- that the deliverer delivers (cursor, stop] and then what follows the
-- restart. NULL when there is no gap ahead of the cursor.
--
-- trail is set when the trail was deleted with events still owed: the
-- trail as it was (bucket, prefix, selectors), delivered up to until_seq
-- (DeleteTrail's own event when it was logging). The row's arn is then
-- renamed to "<arn>#deleted-<until_seq>", so that a trail created again
-- under the same name starts afresh; the deliverer deletes the row once
-- its final delivery is done.

ALTER TABLE trail_delivery ADD COLUMN skips TEXT;
ALTER TABLE trail_delivery ADD COLUMN trail TEXT;
