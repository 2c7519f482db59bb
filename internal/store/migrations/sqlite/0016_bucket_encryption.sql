-- Each bucket's default encryption (PutBucketEncryption), kept with its
-- owner and policy (package bucketpolicy). An empty algorithm stands for
-- S3's default, SSE-S3 (AES256); kms_key_id is KMSMasterKeyID as put.

ALTER TABLE bucket_policies ADD COLUMN sse_algorithm TEXT NOT NULL DEFAULT '';
ALTER TABLE bucket_policies ADD COLUMN kms_key_id TEXT NOT NULL DEFAULT '';
