package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// maxPrefixLength bounds S3KeyPrefix.
const maxPrefixLength = 200

// TrailSettings are the optional settings CreateTrail and UpdateTrail
// share; nil means "not given".
type TrailSettings struct {
	S3BucketName               *string `json:"S3BucketName"`
	S3KeyPrefix                *string `json:"S3KeyPrefix"`
	SnsTopicName               *string `json:"SnsTopicName"`
	IncludeGlobalServiceEvents *bool   `json:"IncludeGlobalServiceEvents"`
	IsMultiRegionTrail         *bool   `json:"IsMultiRegionTrail"`
	EnableLogFileValidation    *bool   `json:"EnableLogFileValidation"`
	CloudWatchLogsLogGroupArn  *string `json:"CloudWatchLogsLogGroupArn"`
	CloudWatchLogsRoleArn      *string `json:"CloudWatchLogsRoleArn"`
	KmsKeyID                   *string `json:"KmsKeyId"`
	IsOrganizationTrail        *bool   `json:"IsOrganizationTrail"`
}

// apply sets the given settings on c. Turning a trail multi-region turns
// global service events on, and back to single-region off, unless the
// request says otherwise (spec §10.1).
func (in *TrailSettings) apply(c *TrailConfig) {
	set(&c.S3BucketName, in.S3BucketName)
	set(&c.S3KeyPrefix, in.S3KeyPrefix)
	set(&c.SnsTopicName, in.SnsTopicName)
	set(&c.CloudWatchLogsLogGroupArn, in.CloudWatchLogsLogGroupArn)
	set(&c.CloudWatchLogsRoleArn, in.CloudWatchLogsRoleArn)
	set(&c.KmsKeyID, in.KmsKeyID)
	set(&c.LogFileValidationEnabled, in.EnableLogFileValidation)
	set(&c.IsOrganizationTrail, in.IsOrganizationTrail)
	if in.IsMultiRegionTrail != nil && *in.IsMultiRegionTrail != c.IsMultiRegionTrail {
		c.IsMultiRegionTrail = *in.IsMultiRegionTrail
		c.IncludeGlobalServiceEvents = c.IsMultiRegionTrail
	}
	set(&c.IncludeGlobalServiceEvents, in.IncludeGlobalServiceEvents)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

var (
	snsTopicName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	snsTopicARN  = regexp.MustCompile(`^arn:aws:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$`)
	logGroupARN  = regexp.MustCompile(`^arn:aws:logs:[a-z0-9-]+:\d{12}:log-group:[A-Za-z0-9_./#-]{1,512}:\*$`)
	logsRoleARN  = regexp.MustCompile(`^arn:aws:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
)

// checkConfig validates a trail's whole configuration, in the order AWS
// reports problems, and normalizes the KMS key to its ARN. Combinations of
// parameters come first: AWS refuses them before it looks at the bucket.
func (s *Service) checkConfig(ctx context.Context, call *awsproto.Call, t *Trail) error {
	c := &t.Config
	if err := checkCombinations(c); err != nil {
		return err
	}
	if err := s.checkBucket(ctx, c.S3BucketName); err != nil {
		return err
	}
	if err := checkPrefix(c.S3KeyPrefix); err != nil {
		return err
	}
	if err := s.checkTopic(ctx, t); err != nil {
		return err
	}
	key, err := kmsKeyARN(call, c.KmsKeyID)
	if err != nil {
		return err
	}
	c.KmsKeyID = key
	return checkLogs(c.CloudWatchLogsLogGroupArn, c.CloudWatchLogsRoleArn)
}

// checkCombinations refuses settings that cannot go together.
func checkCombinations(c *TrailConfig) error {
	if c.IsMultiRegionTrail && !c.IncludeGlobalServiceEvents {
		return errorf(CodeInvalidParameterCombination, "Multi-Region trail must include global service events.")
	}
	if (c.CloudWatchLogsLogGroupArn == "") != (c.CloudWatchLogsRoleArn == "") {
		return errorf(CodeInvalidParameterCombination, "You must specify a log group and a role ARN together.")
	}
	return nil
}

// logsPrefix is where every account's log files go; a trail's prefix must
// not lead into it, or one account's files could land under another's
// AWSLogs/<account>/ path (spec §7.1).
const logsPrefix = "AWSLogs"

// checkPrefix checks an S3KeyPrefix: at most maxPrefixLength characters,
// "/"-separated segments that are neither empty nor "." or ".." (so no
// leading, trailing or doubled slash: every backend can store the keys,
// and a prefix cannot climb out of the bucket), and not under AWSLogs/.
func checkPrefix(p string) error {
	switch {
	case p == "":
		return nil
	case utf8.RuneCountInString(p) > maxPrefixLength:
		return errorf(CodeInvalidS3Prefix, "S3 key prefix is longer than %d characters.", maxPrefixLength)
	case objstore.ValidateKey(p) != nil:
		return errorf(CodeInvalidS3Prefix, "S3 key prefix %s is not valid: it must not begin or end with \"/\", contain \"//\", or have \".\" or \"..\" as a path segment.", p)
	case p == logsPrefix || strings.HasPrefix(p, logsPrefix+"/"):
		return errorf(CodeInvalidS3Prefix, "S3 key prefix %s is not valid: it must not begin with %s/.", p, logsPrefix)
	}
	return nil
}

// checkBucket asks the object store whether the bucket exists; its
// policy is checkBucketPolicy's.
func (s *Service) checkBucket(ctx context.Context, name string) error {
	if objstore.ValidateBucketName(name) != nil {
		return errorf(CodeInvalidS3BucketName, "Bucket name %s is not valid.", name)
	}
	b, err := s.buckets.Bucket(name)
	if errors.Is(err, objstore.ErrInvalidBucketName) {
		return errorf(CodeInvalidS3BucketName, "Bucket name %s is not valid.", name)
	}
	if err != nil {
		return fmt.Errorf("open bucket %s: %w", name, err)
	}
	ok, err := b.Exists(ctx)
	if err != nil {
		return fmt.Errorf("check bucket %s: %w", name, err)
	}
	if !ok {
		return errorf(CodeS3BucketDoesNotExist, "S3 bucket %s does not exist.", name)
	}
	return nil
}

// BucketPolicies decides from buckets' policies where CloudTrail may
// write; app wires it in.
type BucketPolicies interface {
	// CheckPut returns nil when bucket's policy lets CloudTrail, writing
	// for trailARN, read the bucket's ACL and put key (an object key, or a
	// path ending in "*"), and an error wrapping objstore.ErrAccessDenied
	// when it does not.
	CheckPut(ctx context.Context, bucket, key, trailARN string) error
}

// checkBucketPolicy checks that the bucket's policy lets CloudTrail write
// the trail's files: GetBucketAcl, and PutObject on
// [prefix/]AWSLogs/<account>/* or, for an organization trail,
// [prefix/]AWSLogs/<o-id>/* (spec §7.5, §10.3).
func (s *Service) checkBucketPolicy(ctx context.Context, t *Trail) error {
	bucket := t.Config.S3BucketName
	insufficient := errorf(CodeInsufficientS3BucketPolicy, "Incorrect S3 bucket policy is detected for bucket: %s", bucket)
	if s.Policies == nil {
		return insufficient
	}
	err := s.Policies.CheckPut(ctx, bucket, logsPath(t)+"*", t.ARN)
	if errors.Is(err, objstore.ErrAccessDenied) {
		return insufficient
	}
	return err
}

// logsPath is the key prefix under which t's files go:
// [prefix/]AWSLogs/<o-id>/ for an organization trail, else
// [prefix/]AWSLogs/<account>/.
func logsPath(t *Trail) string {
	owner := t.Account
	if t.OrgID != "" {
		owner = t.OrgID
	}
	path := logsPrefix + "/" + owner + "/"
	if t.Config.S3KeyPrefix != "" {
		path = t.Config.S3KeyPrefix + "/" + path
	}
	return path
}

// Topics is the SNS service as CloudTrail uses it; app wires it in.
type Topics interface {
	// CheckPublisher reports whether topicARN exists and its policy lets
	// CloudTrail publish for trailARN of account.
	CheckPublisher(ctx context.Context, topicARN, trailARN, account string) error
	// Publish publishes message to topicARN as CloudTrail, for trailARN
	// of account, after the same check.
	Publish(ctx context.Context, topicARN, message, trailARN, account string) error
}

// validationMessage is what CloudTrail publishes when a topic is attached
// to a trail (spec §8.1); consumers ignore it.
const validationMessage = "CloudTrail validation message."

// checkTopic checks a trail's topic: well formed, existing, and with a
// policy that lets CloudTrail publish (spec §8.2). AWS answers a missing
// topic and a policy without the grant alike.
func (s *Service) checkTopic(ctx context.Context, t *Trail) error {
	name := t.Config.SnsTopicName
	if name == "" {
		return nil
	}
	if !snsTopicName.MatchString(name) && !snsTopicARN.MatchString(name) {
		return errorf(CodeInvalidSnsTopicName, "SNS topic name %s is not valid.", name)
	}
	insufficient := errorf(CodeInsufficientSnsTopicPolicy, "SNS Topic does not exist or the topic policy is incorrect!")
	if s.Topics == nil {
		return insufficient
	}
	err := s.Topics.CheckPublisher(ctx, t.SnsTopicARN(), t.ARN, t.Account)
	if awserr.As(err) != nil {
		return insufficient
	}
	return err
}

// kmsKeyARN checks a KmsKeyId's form (key id, alias name, or the ARN of
// either) and returns it as an ARN in the caller's account and region.
func kmsKeyARN(call *awsproto.Call, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	if arn, ok := objstore.KMSKeyARN(call.Region, call.Account(), id); ok {
		return arn, nil
	}
	return "", errorf(CodeInvalidKmsKeyID, "KMS key ID %s is not valid.", id)
}

// checkLogs checks the form of the CloudWatch Logs pair's ARNs; that
// they come together is checkCombinations'.
func checkLogs(group, role string) error {
	switch {
	case group == "" && role == "":
		return nil
	case !logGroupARN.MatchString(group):
		return errorf(CodeInvalidLogGroupArn, "CloudWatch Logs log group ARN %s is not valid.", group)
	case !logsRoleARN.MatchString(role):
		return errorf(CodeInvalidLogsRoleArn, "CloudWatch Logs role ARN %s is not valid.", role)
	}
	return nil
}

// checkOrganization returns the organization of an organization trail,
// which only its management account may create or change.
func (s *Service) checkOrganization(ctx context.Context, account string) (string, error) {
	org, err := s.store.Organization(ctx, account)
	if errors.Is(err, ErrNotFound) {
		return "", errorf(CodeOrganizationsNotInUse, "This account is not a member of an organization.")
	}
	if err != nil {
		return "", fmt.Errorf("read organization: %w", err)
	}
	if org.ManagementAccount != account {
		return "", errorf(CodeNotOrganizationMaster, "The account %s is not the management account of organization %s.", account, org.ID)
	}
	if !strings.EqualFold(org.FeatureSet, "ALL") {
		return "", errorf(CodeOrganizationNotAllFeatures, "Organization %s does not have all features enabled.", org.ID)
	}
	return org.ID, nil
}
