-- CloudTrail trails. Each trail is a JSON document (data) keyed by its ARN
-- (which holds its home region, account and name), with the columns
-- lookups need beside it: the account's trails, and an organization's
-- trails, which its member accounts see.

CREATE TABLE trails (
	arn         TEXT PRIMARY KEY,
	account     TEXT NOT NULL,
	home_region TEXT NOT NULL,
	name        TEXT NOT NULL,
	org_id      TEXT NOT NULL DEFAULT '', -- '' unless an organization trail
	data        TEXT NOT NULL
);
CREATE INDEX trails_account ON trails(account, name);
CREATE INDEX trails_org ON trails(org_id) WHERE org_id <> '';
