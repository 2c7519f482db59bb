-- SNS topics and subscriptions, stored whole as JSON documents (data) with
-- the columns lookups need, and the outbox of envelopes the dispatcher
-- still has to POST: written in the transaction of the call that queued
-- them, deleted once delivered or abandoned.

CREATE TABLE sns_topics (
	arn     TEXT PRIMARY KEY,
	account TEXT NOT NULL,
	region  TEXT NOT NULL,
	data    TEXT NOT NULL
);
CREATE INDEX sns_topics_account ON sns_topics(account, region, arn);

CREATE TABLE sns_subscriptions (
	arn       TEXT PRIMARY KEY,
	topic_arn TEXT NOT NULL,
	owner     TEXT NOT NULL,
	region    TEXT NOT NULL,
	data      TEXT NOT NULL
);
CREATE INDEX sns_subscriptions_topic ON sns_subscriptions(topic_arn, arn);
CREATE INDEX sns_subscriptions_owner ON sns_subscriptions(owner, region, arn);

CREATE TABLE sns_outbox (
	id               INTEGER PRIMARY KEY,
	subscription_arn TEXT NOT NULL,
	next             INTEGER NOT NULL, -- unix nanoseconds of the next attempt
	data             TEXT NOT NULL
);
CREATE INDEX sns_outbox_due ON sns_outbox(next);
CREATE INDEX sns_outbox_subscription ON sns_outbox(subscription_arn);
