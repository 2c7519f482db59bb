package codedeploy

import (
	"fmt"

	"github.com/deploytrail/deploytrail/internal/awserr"
)

// Error codes that more than one file raises, including those of the
// shared name, lookup and token checks that nearly every operation goes
// through. Each is a model exception shape; a file declares the codes only
// it raises.
const (
	CodeApplicationNameRequired     = "ApplicationNameRequiredException"
	CodeInvalidApplicationName      = "InvalidApplicationNameException"
	CodeApplicationDoesNotExist     = "ApplicationDoesNotExistException"
	CodeDeploymentGroupNameRequired = "DeploymentGroupNameRequiredException"
	CodeInvalidDeploymentGroupName  = "InvalidDeploymentGroupNameException"
	CodeDeploymentGroupDoesNotExist = "DeploymentGroupDoesNotExistException"
	CodeConfigNameRequired          = "DeploymentConfigNameRequiredException"
	CodeInvalidConfigName           = "InvalidDeploymentConfigNameException"
	CodeConfigDoesNotExist          = "DeploymentConfigDoesNotExistException"
	CodeDeploymentIDRequired        = "DeploymentIdRequiredException"
	CodeInvalidDeploymentID         = "InvalidDeploymentIdException"
	CodeDeploymentDoesNotExist      = "DeploymentDoesNotExistException"
	CodeRevisionRequired            = "RevisionRequiredException"
	CodeInvalidRevision             = "InvalidRevisionException"
	CodeDescriptionTooLong          = "DescriptionTooLongException"
	CodeBatchLimitExceeded          = "BatchLimitExceededException"
	CodeInvalidNextToken            = "InvalidNextTokenException"
	CodeInvalidTag                  = "InvalidTagException"
	CodeInvalidTagsToAdd            = "InvalidTagsToAddException"
	CodeTagRequired                 = "TagRequiredException"
	CodeInvalidComputePlatform      = "InvalidComputePlatformException"
	CodeInvalidInput                = "InvalidInputException"
	CodeInvalidDeploymentStatus     = "InvalidDeploymentStatusException"
)

func errorf(code, format string, args ...any) error {
	return awserr.New(code, fmt.Sprintf(format, args...))
}
