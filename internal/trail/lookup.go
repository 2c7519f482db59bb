package trail

import "strings"

// LookupResource is one resource an event is about, as LookupEvents shows
// it in Resources and filters by (ResourceType, ResourceName). Type is ""
// when it is unknown.
type LookupResource struct{ Type, Name string }

// Resource types of the event-history index. CodeDeploy deployments and
// on-premises instances have no CloudFormation type; their names here are
// ours (spec §5.2).
const (
	TypeApplication        = "AWS::CodeDeploy::Application"
	TypeDeploymentGroup    = "AWS::CodeDeploy::DeploymentGroup"
	TypeDeploymentConfig   = "AWS::CodeDeploy::DeploymentConfig"
	TypeDeployment         = "AWS::CodeDeploy::Deployment"
	TypeOnPremisesInstance = "AWS::CodeDeploy::OnPremisesInstance"
	TypeIAMUser            = "AWS::IAM::User"
	TypeIAMRole            = "AWS::IAM::Role"
	TypeIAMGroup           = "AWS::IAM::Group"
	TypeIAMPolicy          = "AWS::IAM::Policy"
)

// hint names the resource a request member (a string or a list of them)
// refers to.
type hint struct{ member, typ string }

// resourceHints are spec §5.2's "LookupEvents resource hints" and their
// IAM and STS counterparts, by eventSource. BatchGetApplications'
// applicationNames is left out on purpose: the spec lists no resource for
// it.
var resourceHints = map[string][]hint{
	"codedeploy.amazonaws.com": {
		{"applicationName", TypeApplication},
		{"deploymentGroupName", TypeDeploymentGroup},
		{"currentDeploymentGroupName", TypeDeploymentGroup},
		{"deploymentGroupNames", TypeDeploymentGroup},
		{"deploymentConfigName", TypeDeploymentConfig},
		{"deploymentId", TypeDeployment},
		{"deploymentIds", TypeDeployment},
		{"instanceName", TypeOnPremisesInstance},
		{"instanceNames", TypeOnPremisesInstance},
	},
	"iam.amazonaws.com": {
		{"userName", TypeIAMUser},
		{"roleName", TypeIAMRole},
		{"groupName", TypeIAMGroup},
		{"policyArn", TypeIAMPolicy},
	},
	"sts.amazonaws.com": {
		{"roleArn", TypeIAMRole}, // AssumeRole: the name is the role's ARN
	},
}

// responseHints name resources only the response knows: the deployment
// CreateDeployment made.
var responseHints = map[string][]hint{
	"codedeploy.amazonaws.com": {{"deploymentId", TypeDeployment}},
}

// taggingOps take the resource as an ARN, whatever the service.
var taggingOps = map[string]bool{"TagResource": true, "UntagResource": true, "ListTagsForResource": true}

// LookupResources returns the resources LookupEvents shows for the event
// and finds it by, without duplicates: the record's resources array, the
// request members of resourceHints (and responseHints), and the ARN of
// tagging calls. It is pure; the store indexes what it returns.
func (e *Event) LookupResources() []LookupResource {
	var c resourceCollector
	for _, r := range e.Resources {
		c.add(r.Type, r.ARN)
	}
	c.members(resourceHints[e.EventSource], e.RequestParameters)
	c.members(responseHints[e.EventSource], e.ResponseElements)
	if taggingOps[e.EventName] {
		for _, m := range []string{"ResourceArn", "resourceArn", "ResourceARN"} {
			if arn, ok := e.RequestParameters[m].(string); ok {
				c.add(ARNResourceType(arn), arn)
			}
		}
	}
	return c.out
}

// resourceCollector gathers resources in order, once each.
type resourceCollector struct {
	out  []LookupResource
	seen map[LookupResource]bool
}

func (c *resourceCollector) add(typ, name string) {
	r := LookupResource{Type: typ, Name: name}
	if name == "" || c.seen[r] {
		return
	}
	if c.seen == nil {
		c.seen = map[LookupResource]bool{}
	}
	c.seen[r] = true
	c.out = append(c.out, r)
}

// members adds the resources that the hinted members of params name.
func (c *resourceCollector) members(hints []hint, params map[string]any) {
	for _, h := range hints {
		switch v := params[h.member].(type) {
		case string:
			c.add(h.typ, v)
		case []any:
			for _, item := range v {
				if s, ok := item.(string); ok {
					c.add(h.typ, s)
				}
			}
		}
	}
}

// arnTypes maps an ARN's service and resource type to the resource type
// LookupEvents shows.
var arnTypes = map[string]string{
	"codedeploy:application":      TypeApplication,
	"codedeploy:deploymentgroup":  TypeDeploymentGroup,
	"codedeploy:deploymentconfig": TypeDeploymentConfig,
	"codedeploy:instance":         TypeOnPremisesInstance,
	"iam:user":                    TypeIAMUser,
	"iam:role":                    TypeIAMRole,
	"iam:group":                   TypeIAMGroup,
	"iam:policy":                  TypeIAMPolicy,
}

// ARNResourceType returns the resource type of an ARN
// (arn:partition:service:region:account:type/name or type:name), "" when
// it is not one we know.
func ARNResourceType(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	res := parts[5]
	kind := ""
	if i := strings.IndexAny(res, ":/"); i >= 0 {
		kind = res[:i]
	}
	return arnTypes[parts[2]+":"+kind]
}
