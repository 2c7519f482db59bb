// Package models embeds the API models of the services deploytrail serves:
// botocore models trimmed by modelgen to the served operations, the agent
// command service's two models as shipped (codedeploy-commands*.json), plus
// organizations.json, written here for the Organizations subset (no
// botocore model was available for it).
package models

import "embed"

// Regenerate after adding an operation to a service's list.
//go:generate sh -c "go run ./modelgen -src ../../../../shared/models -service iam -ops CreateUser,GetUser,ListUsers,UpdateUser,DeleteUser,TagUser,UntagUser,ListUserTags,CreateGroup,GetGroup,ListGroups,UpdateGroup,DeleteGroup,AddUserToGroup,RemoveUserFromGroup,ListGroupsForUser,CreateRole,GetRole,ListRoles,UpdateRole,DeleteRole,UpdateAssumeRolePolicy,TagRole,UntagRole,ListRoleTags,CreateAccessKey,ListAccessKeys,UpdateAccessKey,DeleteAccessKey,GetAccessKeyLastUsed,PutUserPolicy,GetUserPolicy,DeleteUserPolicy,ListUserPolicies,PutGroupPolicy,GetGroupPolicy,DeleteGroupPolicy,ListGroupPolicies,PutRolePolicy,GetRolePolicy,DeleteRolePolicy,ListRolePolicies,CreatePolicy,GetPolicy,DeletePolicy,ListPolicies,CreatePolicyVersion,GetPolicyVersion,ListPolicyVersions,DeletePolicyVersion,SetDefaultPolicyVersion,AttachUserPolicy,DetachUserPolicy,ListAttachedUserPolicies,AttachGroupPolicy,DetachGroupPolicy,ListAttachedGroupPolicies,AttachRolePolicy,DetachRolePolicy,ListAttachedRolePolicies,ListEntitiesForPolicy,CreateLoginProfile,GetLoginProfile,UpdateLoginProfile,DeleteLoginProfile,CreateAccountAlias,DeleteAccountAlias,ListAccountAliases,ChangePassword > iam.json"
//go:generate sh -c "go run ./modelgen -src ../../../../shared/models -service codedeploy > codedeploy.json"
//go:generate sh -c "go run ./modelgen -src ../../../../shared/models -service cloudtrail > cloudtrail.json"
//go:generate sh -c "go run ./modelgen -src ../../../../shared/models -service sts -ops GetCallerIdentity,AssumeRole,GetSessionToken,GetFederationToken > sts.json"
//go:generate sh -c "go run ./modelgen -src ../../../../shared/models -service sns -ops CreateTopic,DeleteTopic,ListTopics,GetTopicAttributes,SetTopicAttributes,AddPermission,RemovePermission,Subscribe,ConfirmSubscription,Unsubscribe,ListSubscriptions,ListSubscriptionsByTopic,GetSubscriptionAttributes,SetSubscriptionAttributes,Publish,TagResource,UntagResource,ListTagsForResource > sns.json"
//go:generate cp ../../../../shared/models/codedeploy-commands.json ../../../../shared/models/codedeploy-commands-secure.json .

// FS holds <service>.json for every served service.
//
//go:embed *.json
var FS embed.FS
