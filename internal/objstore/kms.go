package objstore

import (
	"fmt"
	"regexp"
)

// KMS key names, as KMS accepts them: a key id (or multi-Region key id),
// an alias name, or the ARN of either.
var (
	kmsKeyID = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)
	kmsAlias = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]{1,250}$`)
	kmsARN   = regexp.MustCompile(`^arn:aws:kms:[a-z0-9-]+:\d{12}:(key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})|alias/[A-Za-z0-9/_-]{1,250})$`)
)

// KMSKeyARN checks a KMS key's name (key id, alias name, or the ARN of
// either) and returns it as an ARN in account and region, the form S3
// and CloudTrail report; ok is false for any other string. There is no
// KMS here, so an alias stays an alias ARN (KMS would name its key).
func KMSKeyARN(region, account, id string) (arn string, ok bool) {
	prefix := fmt.Sprintf("arn:aws:kms:%s:%s:", region, account)
	switch {
	case kmsARN.MatchString(id):
		return id, true
	case kmsKeyID.MatchString(id):
		return prefix + "key/" + id, true
	case kmsAlias.MatchString(id):
		return prefix + id, true
	}
	return "", false
}

// DefaultS3KMSKeyARN names the key S3 uses for SSE-KMS when none is
// given, the AWS managed key aws/s3, by its alias ARN.
func DefaultS3KMSKeyARN(region, account string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:alias/aws/s3", region, account)
}
