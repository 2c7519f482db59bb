package policy

import "testing"

// ctxOf builds a request context from key/value pairs; a key repeated
// gets several values.
func ctxOf(kv ...string) map[string][]string {
	ctx := make(map[string][]string)
	for i := 0; i+1 < len(kv); i += 2 {
		ctx[kv[i]] = append(ctx[kv[i]], kv[i+1])
	}
	return ctx
}

func TestCondition(t *testing.T) {
	const now = "2024-06-01T12:00:00Z"
	tests := []struct {
		name string
		cond string // the Condition element
		ctx  map[string][]string
		want bool
	}{
		// String operators.
		{"StringEquals", `{"StringEquals":{"aws:username":"alice"}}`, ctxOf("aws:username", "alice"), true},
		{"StringEqualsCaseSensitive", `{"StringEquals":{"aws:username":"Alice"}}`, ctxOf("aws:username", "alice"), false},
		{"StringEqualsAnyPolicyValue", `{"StringEquals":{"aws:username":["bob","alice"]}}`, ctxOf("aws:username", "alice"), true},
		{"StringEqualsKeyCaseInsensitive", `{"StringEquals":{"AWS:UserName":"alice"}}`, ctxOf("aws:username", "alice"), true},
		{"StringEqualsAbsent", `{"StringEquals":{"aws:username":"alice"}}`, nil, false},
		{"StringEqualsEmptyListIsAbsent", `{"StringEquals":{"aws:username":"alice"}}`, map[string][]string{"aws:username": {}}, false},
		{"StringEqualsAllKeysMustMatch", `{"StringEquals":{"aws:username":"alice","aws:RequestedRegion":"us-east-1"}}`,
			ctxOf("aws:username", "alice", "aws:RequestedRegion", "eu-west-1"), false},
		{"AllOperatorsMustMatch", `{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}}`,
			ctxOf("aws:username", "alice", "aws:SecureTransport", "false"), false},
		{"StringNotEquals", `{"StringNotEquals":{"aws:username":["bob","carol"]}}`, ctxOf("aws:username", "alice"), true},
		{"StringNotEqualsListed", `{"StringNotEquals":{"aws:username":["bob","alice"]}}`, ctxOf("aws:username", "alice"), false},
		{"StringNotEqualsAbsent", `{"StringNotEquals":{"aws:username":"bob"}}`, nil, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, ctxOf("aws:username", "alice"), true},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, ctxOf("aws:username", "alice"), false},
		{"StringLike", `{"StringLike":{"s3:prefix":"home/*"}}`, ctxOf("s3:prefix", "home/alice/"), true},
		{"StringLikeQuestion", `{"StringLike":{"aws:username":"al?ce"}}`, ctxOf("aws:username", "alice"), true},
		{"StringLikeNoMatch", `{"StringLike":{"s3:prefix":"home/*"}}`, ctxOf("s3:prefix", "public/"), false},
		{"StringNotLike", `{"StringNotLike":{"s3:prefix":"home/*"}}`, ctxOf("s3:prefix", "public/"), true},
		{"StringNotLikeMatch", `{"StringNotLike":{"s3:prefix":"home/*"}}`, ctxOf("s3:prefix", "home/x"), false},

		// Numeric operators.
		{"NumericEquals", `{"NumericEquals":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "10.0"), true},
		{"NumericNotEquals", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, ctxOf("s3:max-keys", "11"), true},
		{"NumericLessThan", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`, ctxOf("aws:MultiFactorAuthAge", "120"), true},
		{"NumericLessThanEqualBoundary", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`, ctxOf("aws:MultiFactorAuthAge", "3600"), false},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"aws:MultiFactorAuthAge":"3600"}}`, ctxOf("aws:MultiFactorAuthAge", "3600"), true},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"s3:max-keys":1.5}}`, ctxOf("s3:max-keys", "2"), true},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"s3:max-keys":-1}}`, ctxOf("s3:max-keys", "-1"), true},
		{"NumericNotANumber", `{"NumericLessThan":{"s3:max-keys":"10"}}`, ctxOf("s3:max-keys", "ten"), false},

		// Date operators with aws:CurrentTime / aws:EpochTime.
		{"DateLessThan", `{"DateLessThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}}`, ctxOf("aws:CurrentTime", now), true},
		{"DateLessThanPast", `{"DateLessThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}`, ctxOf("aws:CurrentTime", now), false},
		{"DateLessThanEquals", `{"DateLessThanEquals":{"aws:CurrentTime":"2024-06-01T12:00:00Z"}}`, ctxOf("aws:CurrentTime", now), true},
		{"DateGreaterThan", `{"DateGreaterThan":{"aws:CurrentTime":"2024-06-01"}}`, ctxOf("aws:CurrentTime", now), true},
		{"DateGreaterThanEquals", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2024-06-01T14:00:00+02:00"}}`, ctxOf("aws:CurrentTime", now), true},
		{"DateEqualsAcrossZones", `{"DateEquals":{"aws:CurrentTime":"2024-06-01T08:00:00-04:00"}}`, ctxOf("aws:CurrentTime", now), true},
		{"DateEqualsFraction", `{"DateEquals":{"aws:CurrentTime":"2024-06-01T12:00:00.000Z"}}`, ctxOf("aws:CurrentTime", now), true},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2024-06-02T12:00:00Z"}}`, ctxOf("aws:CurrentTime", now), true},
		{"DateEpochPolicyValue", `{"DateLessThan":{"aws:CurrentTime":1717243201}}`, ctxOf("aws:CurrentTime", now), true},
		{"DateEpochRequestValue", `{"DateGreaterThan":{"aws:EpochTime":"2024-06-01T11:59:59Z"}}`, ctxOf("aws:EpochTime", "1717243200"), true},
		{"DateBadRequestValue", `{"DateLessThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}}`, ctxOf("aws:CurrentTime", "soon"), false},

		// Bool, Binary.
		{"BoolMFA", `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`, ctxOf("aws:MultiFactorAuthPresent", "true"), true},
		{"BoolMFAJSONBool", `{"Bool":{"aws:MultiFactorAuthPresent":true}}`, ctxOf("aws:MultiFactorAuthPresent", "TRUE"), true},
		{"BoolMFAFalse", `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`, ctxOf("aws:MultiFactorAuthPresent", "false"), false},
		{"BoolMFAAbsent", `{"Bool":{"aws:MultiFactorAuthPresent":"false"}}`, nil, false},
		{"BoolIfExistsMFAAbsent", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`, nil, true},
		{"BoolNotBool", `{"Bool":{"aws:SecureTransport":"true"}}`, ctxOf("aws:SecureTransport", "1"), false},
		{"BinaryEquals", `{"BinaryEquals":{"x:key":"QmluYXJ5"}}`, ctxOf("x:key", "QmluYXJ5"), true},
		{"BinaryEqualsOther", `{"BinaryEquals":{"x:key":"QmluYXJ5"}}`, ctxOf("x:key", "QmluYXJ6"), false},

		// IP addresses with aws:SourceIp.
		{"IpAddressCIDRv4", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctxOf("aws:SourceIp", "203.0.113.9"), true},
		{"IpAddressCIDRv4Outside", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctxOf("aws:SourceIp", "203.0.114.9"), false},
		{"IpAddressPlain", `{"IpAddress":{"aws:SourceIp":"203.0.113.9"}}`, ctxOf("aws:SourceIp", "203.0.113.9"), true},
		{"IpAddressCIDRv6", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ctxOf("aws:SourceIp", "2001:db8:1::5"), true},
		{"IpAddressCIDRv6Outside", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ctxOf("aws:SourceIp", "2001:db9::5"), false},
		{"IpAddressV4InV6Listener", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctxOf("aws:SourceIp", "::ffff:10.1.2.3"), true},
		{"IpAddressV6PolicyV4Request", `{"IpAddress":{"aws:SourceIp":"::/0"}}`, ctxOf("aws:SourceIp", "10.1.2.3"), false},
		{"IpAddressUnmaskedCIDR", `{"IpAddress":{"aws:SourceIp":"10.1.2.3/8"}}`, ctxOf("aws:SourceIp", "10.200.0.1"), true},
		{"IpAddressAnyOf", `{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}`, ctxOf("aws:SourceIp", "203.0.113.1"), true},
		{"IpAddressBadRequest", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, ctxOf("aws:SourceIp", "not-an-ip"), false},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctxOf("aws:SourceIp", "198.51.100.1"), true},
		{"NotIpAddressInside", `{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}`, ctxOf("aws:SourceIp", "2001:db8::1"), false},
		{"NotIpAddressAbsent", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, nil, true},

		// ARN operators compare field by field.
		{"ArnEquals", `{"ArnEquals":{"aws:SourceArn":"` + dgARN + `"}}`, ctxOf("aws:SourceArn", dgARN), true},
		{"ArnLike", `{"ArnLike":{"aws:SourceArn":"arn:aws:codedeploy:*:111122223333:*"}}`, ctxOf("aws:SourceArn", dgARN), true},
		{"ArnLikeWrongAccount", `{"ArnLike":{"aws:SourceArn":"arn:aws:codedeploy:*:444455556666:*"}}`, ctxOf("aws:SourceArn", dgARN), false},
		{"ArnLikeStarStaysInField", `{"ArnLike":{"aws:SourceArn":"arn:aws:codedeploy:*:deploymentgroup:*"}}`, ctxOf("aws:SourceArn", dgARN), false},
		{"ArnLikeResourceWithColons", `{"ArnLike":{"aws:SourceArn":"arn:aws:codedeploy:us-east-1:111122223333:deploymentgroup:MyApp/*"}}`, ctxOf("aws:SourceArn", dgARN), true},
		{"ArnLikeStar", `{"ArnLike":{"aws:SourceArn":"*"}}`, ctxOf("aws:SourceArn", dgARN), true},
		{"ArnLikeNotAnARN", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}}`, ctxOf("aws:SourceArn", "bucket"), false},
		{"ArnNotEquals", `{"ArnNotEquals":{"aws:SourceArn":"` + appARN + `"}}`, ctxOf("aws:SourceArn", dgARN), true},
		{"ArnNotLike", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin*"}}`, ctxOf("aws:PrincipalArn", "arn:aws:iam::111122223333:role/AdminRole"), false},
		{"ArnNotLikeAbsent", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin*"}}`, nil, true},

		// Null.
		{"NullTrueAbsent", `{"Null":{"aws:TokenIssueTime":"true"}}`, nil, true},
		{"NullTruePresent", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctxOf("aws:TokenIssueTime", now), false},
		{"NullFalsePresent", `{"Null":{"aws:TokenIssueTime":false}}`, ctxOf("aws:TokenIssueTime", now), true},
		{"NullFalseAbsent", `{"Null":{"aws:TokenIssueTime":"false"}}`, nil, false},

		// IfExists on every family.
		{"StringEqualsIfExistsAbsent", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, nil, true},
		{"StringEqualsIfExistsPresent", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, ctxOf("ec2:InstanceType", "m5.large"), false},
		{"NumericLessThanIfExistsAbsent", `{"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"60"}}`, nil, true},
		{"DateLessThanIfExistsAbsent", `{"DateLessThanIfExists":{"aws:TokenIssueTime":"2024-01-01"}}`, nil, true},
		{"IpAddressIfExistsAbsent", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, true},
		{"IpAddressIfExistsPresent", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, ctxOf("aws:SourceIp", "192.0.2.1"), false},
		{"ArnLikeIfExistsAbsent", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:*:*:*:*"}}`, nil, true},

		// Multivalued keys.
		{"ForAllValuesSubset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}`, ctxOf("aws:TagKeys", "team", "aws:TagKeys", "env"), true},
		{"ForAllValuesNotSubset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}`, ctxOf("aws:TagKeys", "team", "aws:TagKeys", "owner"), false},
		{"ForAllValuesAbsent", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}`, nil, true},
		{"ForAllValuesLike", `{"ForAllValues:StringLike":{"aws:TagKeys":"app-*"}}`, ctxOf("aws:TagKeys", "app-a", "aws:TagKeys", "app-b"), true},
		{"ForAllValuesNegated", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":"secret"}}`, ctxOf("aws:TagKeys", "a", "aws:TagKeys", "b"), true},
		{"ForAllValuesNegatedHit", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":"secret"}}`, ctxOf("aws:TagKeys", "a", "aws:TagKeys", "secret"), false},
		{"ForAnyValueOverlap", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team","env"]}}`, ctxOf("aws:TagKeys", "owner", "aws:TagKeys", "env"), true},
		{"ForAnyValueDisjoint", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team","env"]}}`, ctxOf("aws:TagKeys", "owner"), false},
		{"ForAnyValueAbsent", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}`, nil, false},
		{"ForAnyValueNegated", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"secret"}}`, ctxOf("aws:TagKeys", "secret", "aws:TagKeys", "b"), true},
		{"ForAnyValueNegatedAbsent", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"secret"}}`, nil, false},
		{"ForAnyValueIfExistsAbsent", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"team"}}`, nil, true},
		{"PlainNegatedMultivalued", `{"StringNotEquals":{"aws:TagKeys":"secret"}}`, ctxOf("aws:TagKeys", "a", "aws:TagKeys", "secret"), false},

		// Common request keys.
		{"RequestedRegion", `{"StringEquals":{"aws:RequestedRegion":["us-east-1","us-west-2"]}}`, ctxOf("aws:RequestedRegion", "us-west-2"), true},
		{"RequestedRegionOther", `{"StringEquals":{"aws:RequestedRegion":["us-east-1","us-west-2"]}}`, ctxOf("aws:RequestedRegion", "eu-central-1"), false},
		{"PrincipalAccountSame", `{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`, ctxOf("aws:PrincipalAccount", acct), true},
		{"PrincipalAccountCrossAccount", `{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`, ctxOf("aws:PrincipalAccount", otherAcct), false},
		{"PrincipalAccountNotEqualsCross", `{"StringNotEquals":{"aws:PrincipalAccount":["111122223333"]}}`, ctxOf("aws:PrincipalAccount", otherAcct), true},

		// Policy variables in condition values.
		{"VariableInStringEquals", `{"StringEquals":{"s3:prefix":"home/${aws:username}/"}}`, ctxOf("s3:prefix", "home/alice/", "aws:username", "alice"), true},
		{"VariableInStringLike", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, ctxOf("s3:prefix", "home/alice/docs", "aws:username", "alice"), true},
		{"VariableSubstitutedWildcardIsLiteral", `{"StringLike":{"s3:prefix":"${aws:username}"}}`, ctxOf("s3:prefix", "alice", "aws:username", "*"), false},
		{"VariableMissingNoMatch", `{"StringEquals":{"s3:prefix":"home/${aws:username}/"}}`, ctxOf("s3:prefix", "home//"), false},
		{"VariableMissingOtherValueMatches", `{"StringEquals":{"s3:prefix":["${aws:username}","public"]}}`, ctxOf("s3:prefix", "public"), true},
		{"VariableInArnLike", `{"ArnLike":{"aws:SourceArn":"arn:aws:codedeploy:*:${aws:PrincipalAccount}:*"}}`, ctxOf("aws:SourceArn", dgARN, "aws:PrincipalAccount", acct), true},
		{"VariableMultivaluedNoMatch", `{"StringEquals":{"s3:prefix":"${aws:TagKeys}"}}`, ctxOf("s3:prefix", "a", "aws:TagKeys", "a", "aws:TagKeys", "b"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":`+tt.cond+`}}`, Identity)
			req := &Request{Action: "codedeploy:CreateDeployment", Resource: dgARN, Context: tt.ctx}
			want := ImplicitDeny
			if tt.want {
				want = Allow
			}
			if got := Evaluate(req, doc); got != want {
				t.Fatalf("Evaluate()=%v, want %v", got, want)
			}
		})
	}
}

// TestCondition_DenyUnlessMFA checks the usual "deny without MFA" policy,
// which relies on BoolIfExists treating a missing key as a match.
func TestCondition_DenyUnlessMFA(t *testing.T) {
	docs := identity(t, allowDoc(`"codedeploy:*"`, `"*"`), `{"Version":"2012-10-17","Statement":{"Effect":"Deny",
		"Action":"codedeploy:Delete*","Resource":"*",
		"Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}}`)
	tests := []struct {
		name string
		ctx  map[string][]string
		want Decision
	}{
		{"WithMFA", ctxOf("aws:MultiFactorAuthPresent", "true"), Allow},
		{"WithoutMFA", ctxOf("aws:MultiFactorAuthPresent", "false"), ExplicitDeny},
		{"LongTermKeys", nil, ExplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &Request{Action: "codedeploy:DeleteApplication", Resource: appARN, Context: tt.ctx}
			if got := Evaluate(req, docs...); got != tt.want {
				t.Fatalf("Evaluate()=%v, want %v", got, tt.want)
			}
		})
	}
}
