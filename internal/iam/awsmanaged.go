package iam

import (
	"crypto/sha256"
	"strings"
	"time"
)

// awsManaged are AWS managed policies deploytrail ships, so that the
// policies people attach by habit (AdministratorAccess,
// AWSCodeDeployFullAccess …) exist. Their documents are our own summaries
// of what the AWS policies grant for the services deploytrail serves.
var awsManaged = map[string]string{
	"AdministratorAccess":          `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	"ReadOnlyAccess":               `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["*:Get*","*:List*","*:Describe*","*:BatchGet*","cloudtrail:LookupEvents"],"Resource":"*"}]}`,
	"IAMFullAccess":                `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:ListAccounts"],"Resource":"*"}]}`,
	"IAMReadOnlyAccess":            `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`,
	"AWSCodeDeployFullAccess":      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codedeploy:*","Resource":"*"},{"Effect":"Allow","Action":["sns:ListTopics","iam:ListRoles","iam:PassRole"],"Resource":"*"}]}`,
	"AWSCodeDeployReadOnlyAccess":  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codedeploy:Batch*","codedeploy:Get*","codedeploy:List*"],"Resource":"*"}]}`,
	"AWSCodeDeployDeployerAccess":  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codedeploy:Batch*","codedeploy:CreateDeployment","codedeploy:Get*","codedeploy:List*","codedeploy:RegisterApplicationRevision"],"Resource":"*"}]}`,
	"AWSCloudTrail_FullAccess":     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudtrail:*","sns:CreateTopic","sns:GetTopicAttributes","sns:SetTopicAttributes","sns:ListTopics","iam:ListRoles","organizations:DescribeOrganization","organizations:ListAccounts"],"Resource":"*"}]}`,
	"AWSCloudTrail_ReadOnlyAccess": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudtrail:Get*","cloudtrail:Describe*","cloudtrail:List*","cloudtrail:LookupEvents"],"Resource":"*"}]}`,
	"AmazonSNSFullAccess":          `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:*","Resource":"*"}]}`,
	"AmazonSNSReadOnlyAccess":      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sns:GetTopicAttributes","sns:List*"],"Resource":"*"}]}`,
	"AWSOrganizationsFullAccess":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:*","Resource":"*"}]}`,
	// ChangePassword acts only on the caller, so "*" grants what AWS's
	// arn:aws:iam::*:user/${aws:username} does.
	"IAMUserChangePassword":          `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ChangePassword","Resource":"*"}]}`,
	"AWSOrganizationsReadOnlyAccess": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["organizations:Describe*","organizations:List*"],"Resource":"*"}]}`,
}

// awsManagedPrefix starts the ARN of every AWS managed policy.
const awsManagedPrefix = "arn:aws:iam::aws:policy/"

// awsManagedCreated is the creation date shown for the built-in policies.
var awsManagedCreated = time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC)

// awsManagedEntity returns a built-in policy as an entity, or nil.
func awsManagedEntity(arn string) *Entity {
	name, ok := strings.CutPrefix(arn, awsManagedPrefix)
	if !ok {
		return nil
	}
	_, ok = awsManaged[name]
	if !ok {
		return nil
	}
	sum := sha256.Sum256([]byte(name))
	id := prefixPolicy
	for _, b := range sum[:17] {
		id += string(upperAlnum[int(b)%len(upperAlnum)])
	}
	return &Entity{Account: "aws", Kind: KindPolicy, Name: name, ID: id, Path: "/", Created: awsManagedCreated,
		Data: EntityData{DefaultVersion: "v1", NextVersion: 2, Updated: awsManagedCreated}}
}
