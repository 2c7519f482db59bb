package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

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
	trailNameChars = regexp.MustCompile(`^[A-Za-z0-9._-]{3,128}$`)
	trailARN       = regexp.MustCompile(`^arn:aws:cloudtrail:([a-z0-9-]+):(\d{12}):trail/(.+)$`)
	cloudtrailARN  = regexp.MustCompile(`^arn:aws:cloudtrail:[a-z0-9-]+:\d{12}:(eventdatastore|channel|dashboard)/.+$`)
)

// checkName applies the trail name rules (spec §11.2): 3–128 letters,
// digits, '.', '_' and '-', starting and ending with a letter or digit,
// no two punctuation characters in a row, not an IP address.
func checkName(name string) error {
	bad := func(why string) error {
		return errorf(CodeInvalidTrailName, "Trail name %s is not valid: %s.", name, why)
	}
	if !trailNameChars.MatchString(name) {
		return bad("it must be 3 to 128 characters of letters, numbers, periods, underscores and dashes")
	}
	if isPunct(name[0]) || isPunct(name[len(name)-1]) {
		return bad("it must start and end with a letter or number")
	}
	for i := 1; i < len(name); i++ {
		if isPunct(name[i]) && isPunct(name[i-1]) {
			return bad("it must not have adjacent periods, underscores or dashes")
		}
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return bad("it must not be an IP address")
	}
	return nil
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
