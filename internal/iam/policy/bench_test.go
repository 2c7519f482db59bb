package policy

import "testing"

// benchPolicy is a realistic deployer policy: read everything, deploy to
// one application's groups from the office or VPN, nothing in iam, and
// no deletes without MFA.
const benchPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ReadOnly", "Effect": "Allow",
     "Action": ["codedeploy:Get*", "codedeploy:List*", "codedeploy:BatchGet*"],
     "Resource": "*"},
    {"Sid": "Deploy", "Effect": "Allow",
     "Action": ["codedeploy:CreateDeployment", "codedeploy:StopDeployment"],
     "Resource": "arn:aws:codedeploy:us-east-1:111122223333:deploymentgroup:MyApp/*",
     "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]},
                   "StringEquals": {"aws:RequestedRegion": "us-east-1"}}},
    {"Sid": "OwnKeys", "Effect": "Allow",
     "Action": "iam:*AccessKey*",
     "Resource": "arn:aws:iam::111122223333:user/${aws:username}"},
    {"Sid": "NoIAM", "Effect": "Deny",
     "NotAction": ["codedeploy:*", "iam:*AccessKey*", "sts:GetCallerIdentity"],
     "Resource": "*"},
    {"Sid": "DeleteNeedsMFA", "Effect": "Deny",
     "Action": "codedeploy:Delete*", "Resource": "*",
     "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
  ]
}`

func BenchmarkEvaluate(b *testing.B) {
	doc := mustParse(b, benchPolicy, Identity)
	req := &Request{
		Action:   "codedeploy:CreateDeployment",
		Resource: dgARN,
		Context: map[string][]string{
			"aws:SourceIp":               {"203.0.113.17"},
			"aws:RequestedRegion":        {"us-east-1"},
			"aws:username":               {"alice"},
			"aws:MultiFactorAuthPresent": {"true"},
			"aws:CurrentTime":            {"2024-06-01T12:00:00Z"},
		},
	}
	if got := Evaluate(req, doc); got != Allow {
		b.Fatalf("Evaluate()=%v, want %v", got, Allow)
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(req, doc)
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchPolicy, Identity); err != nil {
			b.Fatal(err)
		}
	}
}
