package codedeploy

import (
	"cmp"
	"strings"
)

// DeploymentSpec is the deployment specification an agent fetches with
// GetDeploymentSpecification (spec §9.7): what to deploy and how. Its JSON
// is the envelope's payload, with the agents' key names; the command
// service wraps it in its envelope.
type DeploymentSpec struct {
	DeploymentID         string `json:"DeploymentId"`
	DeploymentGroupID    string `json:"DeploymentGroupId"`
	DeploymentGroupName  string
	ApplicationName      string
	DeploymentCreator    string
	DeploymentType       string
	AppSpecFilename      string
	Revision             SpecRevision
	AgentActionOverrides AgentActionOverrides
}

// SpecRevision is the revision in a DeploymentSpec.
type SpecRevision struct {
	RevisionType   string
	S3Revision     *SpecS3Revision     `json:",omitempty"`
	GitHubRevision *SpecGitHubRevision `json:",omitempty"`
	// AppSpecContent carries a String or AppSpecContent revision's AppSpec
	// for deploytrail's agent (AWS's agents do not deploy these).
	AppSpecContent *SpecAppSpecContent `json:",omitempty"`
}

// SpecAppSpecContent is an AppSpec given inline.
type SpecAppSpecContent struct{ Content, Sha256 string }

// SpecS3Revision is an S3 bundle.
type SpecS3Revision struct {
	Bucket, Key, BundleType string
	Version                 string `json:",omitempty"`
	ETag                    string `json:",omitempty"`
}

// SpecGitHubRevision is a GitHub commit.
type SpecGitHubRevision struct {
	Account, Repository string
	CommitID            string `json:"CommitId"`
	BundleType          string
}

// AgentActionOverrides carries the deployment's fileExistsBehavior.
type AgentActionOverrides struct {
	AgentOverrides struct{ FileExistsBehavior string }
}

// deploymentSpec is the specification of a deployment for its agents.
func deploymentSpec(d *Deployment) *DeploymentSpec {
	info := &d.Info
	spec := &DeploymentSpec{DeploymentID: info.DeploymentID, DeploymentGroupID: d.GroupID,
		DeploymentGroupName: info.DeploymentGroupName, ApplicationName: info.ApplicationName,
		DeploymentCreator: info.Creator, DeploymentType: "IN_PLACE", AppSpecFilename: "appspec.yml",
		Revision: specRevision(info.Revision)}
	if isBlueGreen(info.DeploymentStyle) {
		spec.DeploymentType = "BLUE_GREEN"
	}
	spec.AgentActionOverrides.AgentOverrides.FileExistsBehavior = cmp.Or(info.FileExistsBehavior, "DISALLOW")
	return spec
}

func specRevision(rev *RevisionLocation) SpecRevision {
	switch {
	case rev == nil:
		return SpecRevision{}
	case rev.S3Location != nil:
		l := rev.S3Location
		return SpecRevision{RevisionType: "S3", S3Revision: &SpecS3Revision{Bucket: l.Bucket, Key: l.Key,
			BundleType: strings.ToLower(l.BundleType), Version: l.Version, ETag: strings.Trim(l.ETag, `"`)}}
	case rev.GitHubLocation != nil:
		owner, repo, _ := strings.Cut(rev.GitHubLocation.Repository, "/")
		return SpecRevision{RevisionType: "GitHub", GitHubRevision: &SpecGitHubRevision{Account: owner, Repository: repo,
			CommitID: rev.GitHubLocation.CommitID, BundleType: "tar"}}
	case rev.AppSpecContent != nil:
		return SpecRevision{RevisionType: rev.RevisionType, AppSpecContent: &SpecAppSpecContent{Content: rev.AppSpecContent.Content, Sha256: rev.AppSpecContent.Sha256}}
	case rev.String != nil:
		return SpecRevision{RevisionType: rev.RevisionType, AppSpecContent: &SpecAppSpecContent{Content: rev.String.Content, Sha256: rev.String.Sha256}}
	}
	return SpecRevision{RevisionType: rev.RevisionType}
}

// executionID is a deployment's DeploymentExecutionId: opaque to agents,
// it matches the model's pattern ^[^/]+/[^/]+/[^/]+/.+$ and stays under
// its 129 characters.
func executionID(d *Deployment) string {
	return "CodeDeploy/" + d.Region + "/local/" + d.Info.DeploymentID
}
