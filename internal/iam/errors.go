package iam

import (
	"fmt"

	"github.com/deploytrail/deploytrail/internal/awserr"
)

// IAM's error codes (the Query codes of the model's exception shapes).
const (
	CodeNoSuchEntity        = "NoSuchEntity"
	CodeEntityAlreadyExists = "EntityAlreadyExists"
	CodeDeleteConflict      = "DeleteConflict"
	CodeLimitExceeded       = "LimitExceeded"
	CodeMalformedPolicy     = "MalformedPolicyDocument"
	CodeInvalidInput        = "InvalidInput"
	CodeValidation          = "ValidationError"
	CodePasswordPolicy      = "PasswordPolicyViolation"
	CodeInvalidUserType     = "InvalidUserType"
	CodeAccessDenied        = "AccessDenied"
	CodeRegionDisabled      = "RegionDisabledException"
)

// kindNoun is how IAM's messages name a kind.
var kindNoun = map[Kind]string{KindUser: "user", KindGroup: "group", KindRole: "role", KindPolicy: "policy"}

func noSuchEntity(kind Kind, name string) error {
	if kind == KindPolicy {
		return awserr.Errorf(CodeNoSuchEntity, "Policy %s does not exist or is not attachable.", name)
	}
	return awserr.Errorf(CodeNoSuchEntity, "The %s with name %s cannot be found.", kindNoun[kind], name)
}

func alreadyExists(kind Kind, name string) error {
	if kind == KindPolicy {
		return awserr.Errorf(CodeEntityAlreadyExists, "A policy called %s already exists. Duplicate names are not allowed.", name)
	}
	noun := kindNoun[kind]
	return awserr.Errorf(CodeEntityAlreadyExists, "%s with name %s already exists.", string(noun[0]-32)+noun[1:], name)
}

func deleteConflict(what string) error {
	return awserr.Errorf(CodeDeleteConflict, "Cannot delete entity, must %s first.", what)
}

func limitExceeded(quota string, n int) error {
	return awserr.Errorf(CodeLimitExceeded, "Cannot exceed quota for %s: %d", quota, n)
}

func invalidInput(format string, args ...any) error {
	return awserr.New(CodeInvalidInput, fmt.Sprintf(format, args...))
}
