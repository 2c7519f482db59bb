package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// Error codes of the trail operations, each a model exception.
const (
	CodeInvalidTrailName            = "InvalidTrailNameException"
	CodeTrailAlreadyExists          = "TrailAlreadyExistsException"
	CodeTrailNotFound               = "TrailNotFoundException"
	CodeARNInvalid                  = "CloudTrailARNInvalidException"
	CodeMaximumTrails               = "MaximumNumberOfTrailsExceededException"
	CodeInvalidS3BucketName         = "InvalidS3BucketNameException"
	CodeS3BucketDoesNotExist        = "S3BucketDoesNotExistException"
	CodeInvalidS3Prefix             = "InvalidS3PrefixException"
	CodeInsufficientS3BucketPolicy  = "InsufficientS3BucketPolicyException"
	CodeInvalidSnsTopicName         = "InvalidSnsTopicNameException"
	CodeInsufficientSnsTopicPolicy  = "InsufficientSnsTopicPolicyException"
	CodeInvalidKmsKeyID             = "InvalidKmsKeyIdException"
	CodeInvalidLogGroupArn          = "InvalidCloudWatchLogsLogGroupArnException"
	CodeInvalidLogsRoleArn          = "InvalidCloudWatchLogsRoleArnException"
	CodeInvalidParameterCombination = "InvalidParameterCombinationException"
	CodeInvalidParameter            = "InvalidParameterException"
	CodeInvalidHomeRegion           = "InvalidHomeRegionException"
	CodeOrganizationsNotInUse       = "OrganizationsNotInUseException"
	CodeNotOrganizationMaster       = "NotOrganizationMasterAccountException"
	CodeOrganizationNotAllFeatures  = "OrganizationNotInAllFeaturesModeException"
	CodeInvalidEventSelectors       = "InvalidEventSelectorsException"
	CodeInvalidInsightSelectors     = "InvalidInsightSelectorsException"
	CodeInsightNotEnabled           = "InsightNotEnabledException"
	CodeUnsupportedOperation        = "UnsupportedOperationException"
	CodeTagsLimitExceeded           = "TagsLimitExceededException"
	CodeInvalidTagParameter         = "InvalidTagParameterException"
	CodeResourceNotFound            = "ResourceNotFoundException"
	CodeResourceTypeNotSupported    = "ResourceTypeNotSupportedException"
	CodeTrailNotProvided            = "TrailNotProvidedException"
	CodeInvalidToken                = "InvalidTokenException"
)

var (
	trailNameChars = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	trailARN       = regexp.MustCompile(`^arn:aws:cloudtrail:([a-z0-9-]+):(\d{12}):trail/(.+)$`)
	cloudtrailARN  = regexp.MustCompile(`^arn:aws:cloudtrail:[a-z0-9-]+:\d{12}:(eventdatastore|channel|dashboard)/.+$`)
)

// Trail name limits (spec §11.2).
const (
	minTrailName = 3
	maxTrailName = 128
)

// checkName applies the trail name rules (spec §11.2) in the order AWS
// reports them, with AWS's messages: 3–128 characters, starting and ending
// with a letter or digit, only letters, digits, '.', '_' and '-', no two
// of those punctuation characters in a row, not an IP address.
func checkName(name string) error {
	bad := func(format string, args ...any) error { return errorf(CodeInvalidTrailName, format, args...) }
	n := utf8.RuneCountInString(name)
	switch {
	case n < minTrailName:
		return bad("Trail name too short. Minimum allowed length: %d characters. Specified name length: %d characters.", minTrailName, n)
	case n > maxTrailName:
		return bad("Trail name too long. Maximum allowed length: %d characters. Specified name length: %d characters.", maxTrailName, n)
	case !isAlnum(name[0]):
		return bad("Trail name must starts with a letter or number.")
	case !isAlnum(name[len(name)-1]):
		return bad("Trail name must ends with a letter or number.")
	case !trailNameChars.MatchString(name):
		return bad("Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).")
	case hasAdjacentPunct(name):
		return bad("Trail name or ARN cannot have adjacent periods (.), hyphens (-), or underscores (_).")
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return bad("Trail names must not be formatted as an IP address.")
	}
	return nil
}

func hasAdjacentPunct(name string) bool {
	for i := 1; i < len(name); i++ {
		if isPunct(name[i]) && isPunct(name[i-1]) {
			return true
		}
	}
	return false
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isPunct(c byte) bool { return c == '.' || c == '_' || c == '-' }

// ARN is a trail's ARN: arn:aws:cloudtrail:<home-region>:<account>:trail/<name>.
func ARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", region, account, name)
}

// ref is a trail as an operation names it: by ARN, or by name in the
// caller's account and region.
type ref struct {
	arn    string
	byName bool
}

// parseRef reads a Name or TrailName parameter: a trail name or a trail
// ARN.
func parseRef(call *awsproto.Call, nameOrARN string) (ref, error) {
	if nameOrARN == "" {
		return ref{}, errorf(CodeInvalidTrailName, "Trail name or ARN can't be empty.")
	}
	if !strings.HasPrefix(nameOrARN, "arn:") {
		if err := checkName(nameOrARN); err != nil {
			return ref{}, err
		}
		return ref{arn: ARN(call.Region, call.Account(), nameOrARN), byName: true}, nil
	}
	m := trailARN.FindStringSubmatch(nameOrARN)
	if m == nil || checkName(m[3]) != nil {
		return ref{}, errorf(CodeARNInvalid, "%s is not a valid trail ARN.", nameOrARN)
	}
	return ref{arn: nameOrARN}, nil
}

// callOf is the call of ctx; every operation runs with one.
func callOf(ctx context.Context) (*awsproto.Call, error) {
	call := awsproto.CallFromContext(ctx)
	if call == nil {
		return nil, errors.New("cloudtrail: no call in context")
	}
	return call, nil
}

// notFound is TrailNotFoundException for arn.
func notFound(call *awsproto.Call, arn string) error {
	return errorf(CodeTrailNotFound, "Unknown trail: %s for the user: %s", arn, call.Account())
}
