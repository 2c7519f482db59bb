package codedeploy

import (
	"fmt"

	"github.com/deploytrail/deploytrail/internal/awserr"
)

// Error codes shared across the operations (each is a model exception
// shape; an operation file declares the codes only it uses).
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
	CodeInstanceNameRequired        = "InstanceNameRequiredException"
	CodeInvalidInstanceName         = "InvalidInstanceNameException"
	CodeRevisionRequired            = "RevisionRequiredException"
	CodeInvalidRevision             = "InvalidRevisionException"
	CodeRevisionDoesNotExist        = "RevisionDoesNotExistException"
	CodeDescriptionTooLong          = "DescriptionTooLongException"
	CodeBatchLimitExceeded          = "BatchLimitExceededException"
	CodeInvalidNextToken            = "InvalidNextTokenException"
	CodeInvalidTag                  = "InvalidTagException"
	CodeInvalidTagsToAdd            = "InvalidTagsToAddException"
	CodeInvalidComputePlatform      = "InvalidComputePlatformException"
	CodeInvalidInput                = "InvalidInputException"
)

func errorf(code, format string, args ...any) error {
	return awserr.New(code, fmt.Sprintf(format, args...))
}
