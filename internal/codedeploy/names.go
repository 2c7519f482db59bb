package codedeploy

import (
	"context"
	"crypto/rand"
	"fmt"
	"regexp"
	"strings"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// Scope is where CodeDeploy resources live: one account in one region.
type Scope struct{ Account, Region string }

// scope is the account and region of the call in ctx.
func scope(ctx context.Context) Scope {
	c := awsproto.CallFromContext(ctx)
	return Scope{Account: c.Account(), Region: c.Region}
}

// maxNameLength bounds application, deployment group, config and instance
// names.
const maxNameLength = 100

var (
	namePattern         = regexp.MustCompile(`^[A-Za-z0-9.+=,@_-]+$`)
	deploymentIDPattern = regexp.MustCompile(`^d-[A-Z0-9]{9}$`)
)

// checkName applies CodeDeploy's name rule: 1–100 of [A-Za-z0-9.+=,@_-];
// required and invalid are the kind's two exceptions.
func checkName(name, kind, required, invalid string) error {
	switch {
	case name == "":
		return errorf(required, "%s name is required.", kind)
	case len(name) > maxNameLength: // cut: the name may be megabytes long
		return errorf(invalid, "%s name is longer than %d characters: %s", kind, maxNameLength, awserr.Cut(name, awserr.EchoLimit))
	case !namePattern.MatchString(name):
		return errorf(invalid, "%s name contains characters other than letters, digits and .+=,@_-: %s", kind, awserr.Cut(name, awserr.EchoLimit))
	}
	return nil
}

func checkApplicationName(name string) error {
	return checkName(name, "Application", CodeApplicationNameRequired, CodeInvalidApplicationName)
}

func checkGroupName(name string) error {
	return checkName(name, "Deployment group", CodeDeploymentGroupNameRequired, CodeInvalidDeploymentGroupName)
}

func checkConfigName(name string) error {
	return checkName(name, "Deployment config", CodeConfigNameRequired, CodeInvalidConfigName)
}

// checkDeploymentID tells a missing id from a malformed one.
func checkDeploymentID(id string) error {
	switch {
	case id == "":
		return errorf(CodeDeploymentIDRequired, "Deployment id is required.")
	case !deploymentIDPattern.MatchString(id):
		return errorf(CodeInvalidDeploymentID, "Specified DeploymentId is not in the valid format: %s", id)
	}
	return nil
}

// ARNs of CodeDeploy resources.
func (s Scope) arnPrefix() string { return "arn:aws:codedeploy:" + s.Region + ":" + s.Account + ":" }

// ApplicationARN is arn:aws:codedeploy:<region>:<account>:application:<name>.
func (s Scope) ApplicationARN(app string) string { return s.arnPrefix() + "application:" + app }

// GroupARN is …:deploymentgroup:<application>/<group>.
func (s Scope) GroupARN(app, group string) string {
	return s.arnPrefix() + "deploymentgroup:" + app + "/" + group
}

// ConfigARN is …:deploymentconfig:<name>.
func (s Scope) ConfigARN(name string) string { return s.arnPrefix() + "deploymentconfig:" + name }

// InstanceARN is …:instance/<name>_<suffix>.
func (s Scope) InstanceARN(name, suffix string) string {
	return s.arnPrefix() + "instance/" + name + "_" + suffix
}

// parseARN splits a CodeDeploy ARN into its scope, resource type and name
// ("application", "MyApp"; "deploymentgroup", "MyApp/MyDG";
// "deploymentconfig", "Cfg"; "instance", "name_suffix").
func parseARN(arn string) (s Scope, kind, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) < 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "codedeploy" {
		return Scope{}, "", "", false
	}
	s = Scope{Region: parts[3], Account: parts[4]}
	if len(parts) == 7 {
		return s, parts[5], parts[6], parts[6] != ""
	}
	kind, name, ok = strings.Cut(parts[5], "/")
	return s, kind, name, ok && name != ""
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomFrom(alphabet string, n int) string {
	b := make([]byte, n)
	rand.Read(b) // crypto/rand never fails
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// newUUID returns a random (version 4) UUID, the form of application,
// deployment group and deployment config ids.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newDeploymentID returns d- and nine upper-case letters or digits.
func newDeploymentID() string { return "d-" + randomFrom(idAlphabet, 9) }

// newInstanceSuffix is the random part of an on-premises instance ARN.
func newInstanceSuffix() string {
	return randomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 10)
}
