-- Each bucket's owning account and bucket policy (package bucketpolicy).
-- An empty owner stands for the management account and an empty policy
-- for the owner's default CloudTrail policy; a bucket with no row has
-- both, which is what buckets made before this table get.

CREATE TABLE bucket_policies (
    bucket TEXT PRIMARY KEY,
    owner  TEXT NOT NULL DEFAULT '',
    policy TEXT NOT NULL DEFAULT ''
);
