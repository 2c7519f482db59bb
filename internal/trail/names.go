package trail

// How model members are named in requestParameters and responseElements.
//
// The rule, as AWS's published records show it: a member is recorded under
// its model name with only the first letter lower-cased, at every level and
// in every service, whatever its protocol (JSON or Query). Acronyms are not
// special: the model's own spelling decides.
//
//	StopLogging    Name                 → name
//	CreateTrail    S3BucketName         → s3BucketName
//	               SnsTopicName         → snsTopicName (not sNSTopicName: the model writes "Sns")
//	               KmsKeyId             → kmsKeyId
//	               IsMultiRegionTrail   → isMultiRegionTrail
//	               TrailARN (response)  → trailARN
//	               SnsTopicARN          → snsTopicARN
//	LookupEvents   MaxResults           → maxResults
//	CreateAccount  CreateAccountStatus  → createAccountStatus
//	IAM, STS, SNS  UserName, RoleArn    → userName, roleArn
//
// Map keys are data (tag keys, SNS attribute names) and keep their case.
//
// Exceptions, where AWS's records keep other names:
//
//	codedeploy.amazonaws.com  the model's names as they are (spec §2.1, §5.1): CodeDeploy records its
//	                          deserialized request, so its few PascalCase members (Tag{Key,Value}, the
//	                          tagging operations' ResourceArn, TagKeys) stay PascalCase.
//
// No member of the other operations served here is spelled otherwise in
// AWS's records. Records stored before this rule keep the names they were
// stored with.
var modelNamedSources = map[string]bool{
	"codedeploy.amazonaws.com": true,
}

// recordsModelNames reports whether a service's records keep the model's
// member names instead of lower-casing their first letter.
func recordsModelNames(eventSource string) bool {
	return modelNamedSources[eventSource]
}

// lowerFirst is the name AWS records a member under: UserName → userName,
// S3BucketName → s3BucketName, SAMLMetadataDocument → sAMLMetadataDocument.
func lowerFirst(name string) string {
	if name == "" || name[0] < 'A' || name[0] > 'Z' {
		return name
	}
	return string(name[0]+'a'-'A') + name[1:]
}
