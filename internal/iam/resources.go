package iam

import (
	"context"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// iamResources names the resource every IAM operation is authorized on:
// the ARN of the user, group, role or policy it acts on. Names are used
// with the path the request gives (CreateUser's Path) or "/" — a policy
// that names a path-qualified ARN of an existing entity matches only for
// requests that send the path, which deploytrail does not look up.
var iamResources = map[string]awsproto.ResourceFunc{}

func init() {
	byMember := map[string][]string{
		"UserName": {"CreateUser", "GetUser", "UpdateUser", "DeleteUser", "TagUser", "UntagUser", "ListUserTags",
			"CreateAccessKey", "ListAccessKeys", "UpdateAccessKey", "DeleteAccessKey", "ListGroupsForUser",
			"PutUserPolicy", "GetUserPolicy", "DeleteUserPolicy", "ListUserPolicies",
			"AttachUserPolicy", "DetachUserPolicy", "ListAttachedUserPolicies",
			"CreateLoginProfile", "GetLoginProfile", "UpdateLoginProfile", "DeleteLoginProfile", "ChangePassword"},
		"GroupName": {"CreateGroup", "GetGroup", "UpdateGroup", "DeleteGroup", "AddUserToGroup", "RemoveUserFromGroup",
			"PutGroupPolicy", "GetGroupPolicy", "DeleteGroupPolicy", "ListGroupPolicies",
			"AttachGroupPolicy", "DetachGroupPolicy", "ListAttachedGroupPolicies"},
		"RoleName": {"CreateRole", "GetRole", "UpdateRole", "DeleteRole", "UpdateAssumeRolePolicy", "TagRole", "UntagRole", "ListRoleTags",
			"PutRolePolicy", "GetRolePolicy", "DeleteRolePolicy", "ListRolePolicies",
			"AttachRolePolicy", "DetachRolePolicy", "ListAttachedRolePolicies"},
		"PolicyArn": {"GetPolicy", "DeletePolicy", "CreatePolicyVersion", "GetPolicyVersion", "ListPolicyVersions",
			"DeletePolicyVersion", "SetDefaultPolicyVersion", "ListEntitiesForPolicy"},
	}
	kinds := map[string]Kind{"UserName": KindUser, "GroupName": KindGroup, "RoleName": KindRole}
	for member, ops := range byMember {
		for _, op := range ops {
			iamResources[op] = entityResource(member, kinds[member])
		}
	}
	iamResources["CreatePolicy"] = func(_ context.Context, c *awsproto.Call, p awsproto.Params) (string, error) {
		return "arn:aws:iam::" + c.Account() + ":policy" + pathOr(p, "Path") + str(p, "PolicyName"), nil
	}
}

// entityResource builds the ARN of the entity a request names, without a
// lookup (so it cannot fail). Calls that may omit UserName act on the
// caller itself.
func entityResource(member string, kind Kind) awsproto.ResourceFunc {
	return func(_ context.Context, c *awsproto.Call, p awsproto.Params) (string, error) {
		return entityARN(c, p, member, kind), nil
	}
}

func entityARN(c *awsproto.Call, p awsproto.Params, member string, kind Kind) string {
	if member == "PolicyArn" {
		return str(p, member)
	}
	name := str(p, member)
	if name == "" && kind == KindUser && c.Principal.Type == awsproto.PrincipalIAMUser {
		return c.Principal.ARN
	}
	if name == "" {
		return "*"
	}
	return "arn:aws:iam::" + c.Account() + ":" + string(kind) + pathOr(p, "Path") + name
}

func pathOr(p awsproto.Params, member string) string {
	if v := str(p, member); v != "" {
		return v
	}
	return "/"
}
