package policy

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mustParse parses doc or fails the test.
func mustParse(tb testing.TB, doc string, kind Kind) *Document {
	tb.Helper()
	d, err := Parse(doc, kind)
	if err != nil {
		tb.Fatalf("Parse(%s)=%v, want no error", doc, err)
	}
	return d
}

func TestParse_OK(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		kind Kind
		want *Document
	}{
		{
			name: "SingleStatementObjectAndStrings",
			doc: `{"Version":"2012-10-17","Id":"p1","Statement":{"Sid":"One","Effect":"Allow",
				"Action":"codedeploy:Get*","Resource":"*"}}`,
			want: &Document{Version: Version2012, ID: "p1", Statements: []Statement{{
				Sid: "One", Effect: "Allow", Action: []string{"codedeploy:Get*"}, Resource: []string{"*"},
			}}},
		},
		{
			name: "NoVersionIs2008",
			doc:  `{"Statement":[{"Effect":"Deny","NotAction":["iam:*","sts:*"],"NotResource":"arn:aws:s3:::b/*"}]}`,
			want: &Document{Version: Version2008, Statements: []Statement{{
				Effect: "Deny", NotAction: []string{"iam:*", "sts:*"}, NotResource: []string{"arn:aws:s3:::b/*"},
			}}},
		},
		{
			name: "ConditionsInOrderWithScalars",
			doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*",
				"Condition":{"Bool":{"aws:MultiFactorAuthPresent":true},
				"NumericLessThan":{"aws:MultiFactorAuthAge":3600,"s3:max-keys":["10",1.5]}}}]}`,
			want: &Document{Version: Version2012, Statements: []Statement{{
				Effect: "Allow", Action: []string{"*"}, Resource: []string{"*"},
				Conditions: []Condition{
					{Operator: "Bool", Key: "aws:MultiFactorAuthPresent", Values: []string{"true"}},
					{Operator: "NumericLessThan", Key: "aws:MultiFactorAuthAge", Values: []string{"3600"}},
					{Operator: "NumericLessThan", Key: "s3:max-keys", Values: []string{"10", "1.5"}},
				},
			}}},
		},
		{
			name: "TrustPolicy",
			kind: Trust,
			doc: `{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:role/Deployer"],
				 "Service":"codedeploy.amazonaws.com"},"Action":"sts:AssumeRole"},
				{"Effect":"Allow","Principal":"*","Action":["sts:AssumeRole","sts:TagSession"],
				 "Condition":{"StringEquals":{"sts:ExternalId":"x"}}},
				{"Effect":"Deny","NotPrincipal":{"Federated":"arn:aws:iam::111122223333:saml-provider/Okta"},
				 "Action":"sts:AssumeRoleWithSAML"}]}`,
			want: &Document{Version: Version2012, Kind: Trust, Statements: []Statement{
				{Effect: "Allow", Principal: &Principals{
					AWS:     []string{"111122223333", "arn:aws:iam::444455556666:role/Deployer"},
					Service: []string{"codedeploy.amazonaws.com"},
				}, Action: []string{"sts:AssumeRole"}},
				{Effect: "Allow", Principal: &Principals{All: true}, Action: []string{"sts:AssumeRole", "sts:TagSession"},
					Conditions: []Condition{{Operator: "StringEquals", Key: "sts:ExternalId", Values: []string{"x"}}}},
				{Effect: "Deny", NotPrincipal: &Principals{Federated: []string{"arn:aws:iam::111122223333:saml-provider/Okta"}},
					Action: []string{"sts:AssumeRoleWithSAML"}},
			}},
		},
		{
			name: "ModifiersAndVariables",
			doc: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*",
				"Resource":"arn:aws:s3:::home/${aws:username}/*",
				"Condition":{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":"team*"},
				"DateGreaterThan":{"aws:CurrentTime":"${aws:TokenIssueTime}"}}}}`,
			want: &Document{Version: Version2012, Statements: []Statement{{
				Effect: "Allow", Action: []string{"s3:*"}, Resource: []string{"arn:aws:s3:::home/${aws:username}/*"},
				Conditions: []Condition{
					{Operator: "ForAnyValue:StringLikeIfExists", Key: "aws:TagKeys", Values: []string{"team*"}},
					{Operator: "DateGreaterThan", Key: "aws:CurrentTime", Values: []string{"${aws:TokenIssueTime}"}},
				},
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.doc, tt.kind)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("Parse() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParse_Errors(t *testing.T) {
	// stmt wraps one identity statement body in a valid document.
	stmt := func(body string) string {
		return `{"Version":"2012-10-17","Statement":[{` + body + `}]}`
	}
	const ok = `"Effect":"Allow","Action":"s3:GetObject","Resource":"*"`
	const trustOK = `"Effect":"Allow","Action":"sts:AssumeRole"`
	tests := []struct {
		name string
		doc  string
		kind Kind
		want string
	}{
		{"EmptyString", ``, Identity, MsgSyntax},
		{"BadJSON", `{"Version":"2012-10-17","Statement":[}`, Identity, MsgSyntax},
		{"TrailingGarbage", stmt(ok) + `x`, Identity, MsgSyntax},
		{"NotAnObject", `["Statement"]`, Identity, MsgSyntax},
		{"MissingStatement", `{"Version":"2012-10-17"}`, Identity, "Missing required field Statement"},
		{"EmptyStatementList", `{"Version":"2012-10-17","Statement":[]}`, Identity, MsgSyntax},
		{"StatementNotObject", `{"Statement":["x"]}`, Identity, MsgSyntax},
		{"StatementString", `{"Statement":"x"}`, Identity, MsgSyntax},
		{"UnknownTopLevelField", `{"Version":"2012-10-17","Foo":1,"Statement":[{` + ok + `}]}`, Identity, "Unknown field Foo"},
		{"UnknownStatementField", stmt(ok + `,"Foo":"bar"`), Identity, "Unknown field Foo"},
		{"LowercaseElementName", stmt(`"effect":"Allow","Action":"s3:*","Resource":"*"`), Identity, "Unknown field effect"},
		{"DuplicateKey", stmt(ok + `,"Effect":"Deny"`), Identity, MsgSyntax},
		{"BadVersion", `{"Version":"2012-10-18","Statement":[{` + ok + `}]}`, Identity, MsgLegacyParsing},
		{"VersionNotString", `{"Version":2012,"Statement":[{` + ok + `}]}`, Identity, MsgSyntax},
		{"IdNotString", `{"Id":1,"Statement":[{` + ok + `}]}`, Identity, MsgSyntax},
		{"MissingEffect", stmt(`"Action":"s3:*","Resource":"*"`), Identity, "Missing required field Effect"},
		{"EffectNotString", stmt(`"Effect":true,"Action":"s3:*","Resource":"*"`), Identity, MsgSyntax},
		{"EffectWrongCase", stmt(`"Effect":"allow","Action":"s3:*","Resource":"*"`), Identity, MsgLegacyParsing},
		{"EffectUnknown", stmt(`"Effect":"Permit","Action":"s3:*","Resource":"*"`), Identity, MsgSyntax},
		{"SidNotAlnum", stmt(`"Sid":"my-sid",` + ok), Identity, MsgSidAlnum},
		{"SidNotString", stmt(`"Sid":1,` + ok), Identity, MsgSyntax},
		{"SidDuplicate", `{"Statement":[{"Sid":"A",` + ok + `},{"Sid":"A",` + ok + `}]}`, Identity, MsgSidUnique},
		{"PrincipalInIdentity", stmt(ok + `,"Principal":"*"`), Identity, MsgNoPrincipalAllowed},
		{"NotPrincipalInIdentity", stmt(ok + `,"NotPrincipal":{"AWS":"111122223333"}`), Identity, MsgNoPrincipalAllowed},
		{"NoActions", stmt(`"Effect":"Allow","Resource":"*"`), Identity, MsgNoActions},
		{"EmptyActions", stmt(`"Effect":"Allow","Action":[],"Resource":"*"`), Identity, MsgNoActions},
		{"ActionAndNotAction", stmt(ok + `,"NotAction":"s3:*"`), Identity, MsgSyntax},
		{"ActionNotString", stmt(`"Effect":"Allow","Action":[1],"Resource":"*"`), Identity, MsgSyntax},
		{"ActionNoVendor", stmt(`"Effect":"Allow","Action":"GetObject","Resource":"*"`), Identity, MsgVendor},
		{"ActionTwoColons", stmt(`"Effect":"Allow","Action":"s3:Get:Object","Resource":"*"`), Identity, MsgOneColon},
		{"ActionBadVendor", stmt(`"Effect":"Allow","Action":"s 3:Get","Resource":"*"`), Identity, "Vendor s 3 is not valid"},
		{"NoResources", stmt(`"Effect":"Allow","Action":"s3:*"`), Identity, MsgNoResources},
		{"EmptyResources", stmt(`"Effect":"Allow","Action":"s3:*","NotResource":[]`), Identity, MsgNoResources},
		{"ResourceAndNotResource", stmt(ok + `,"NotResource":"*"`), Identity, MsgSyntax},
		{"ResourceNotARN", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"bucket"`), Identity, `Resource bucket must be in ARN format or "*".`},
		{"ResourceBadPartition", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:foo:s3:::b"`), Identity, `Partition "foo" is not valid for resource "arn:foo:s3:::b".`},
		{"ResourceWildcardVendor", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:*:::b"`), Identity, MsgResourceVendor},
		{"ResourceLegacy", stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3::b"`), Identity, MsgLegacyParsing},
		{"IAMResourceRegion", stmt(`"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam:us-east-1:111122223333:user/x"`), Identity,
			"IAM resource arn:aws:iam:us-east-1:111122223333:user/x cannot contain region information."},
		{"ConditionNotObject", stmt(ok + `,"Condition":"x"`), Identity, MsgSyntax},
		{"ConditionUnknownOperator", stmt(ok + `,"Condition":{"Foo":{"aws:username":"x"}}`), Identity, "Invalid Condition type : Foo"},
		{"ConditionNullIfExists", stmt(ok + `,"Condition":{"NullIfExists":{"aws:username":"true"}}`), Identity, "Invalid Condition type : NullIfExists"},
		{"ConditionBadQualifier", stmt(ok + `,"Condition":{"ForSomeValues:StringEquals":{"aws:username":"x"}}`), Identity, "Invalid Condition type : ForSomeValues:StringEquals"},
		{"ConditionBlockNotObject", stmt(ok + `,"Condition":{"StringEquals":["x"]}`), Identity, MsgSyntax},
		{"ConditionKeyNoVendor", stmt(ok + `,"Condition":{"StringEquals":{"username":"x"}}`), Identity, MsgVendor},
		{"ConditionValueObject", stmt(ok + `,"Condition":{"StringEquals":{"aws:username":{"a":"b"}}}`), Identity, MsgSyntax},
		{"ConditionValueNull", stmt(ok + `,"Condition":{"StringEquals":{"aws:username":null}}`), Identity, MsgSyntax},
		{"ConditionBadDate", stmt(ok + `,"Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}`), Identity, MsgLegacyParsing},
		{"TrustMissingPrincipal", `{"Statement":[{` + trustOK + `}]}`, Trust, "Missing required field Principal"},
		{"TrustPrincipalAndNotPrincipal", `{"Statement":[{` + trustOK + `,"Principal":"*","NotPrincipal":"*"}]}`, Trust, MsgSyntax},
		{"TrustResource", `{"Statement":[{` + trustOK + `,"Principal":"*","Resource":"*"}]}`, Trust, "Has prohibited field Resource"},
		{"TrustBogusAWS", `{"Statement":[{` + trustOK + `,"Principal":{"AWS":"bogus"}}]}`, Trust, `Invalid principal in policy: "AWS":"bogus"`},
		{"TrustWildcardARN", `{"Statement":[{` + trustOK + `,"Principal":{"AWS":"arn:aws:iam::111122223333:user/*"}}]}`, Trust,
			`Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/*"`},
		{"TrustBogusService", `{"Statement":[{` + trustOK + `,"Principal":{"Service":"not a service"}}]}`, Trust, `Invalid principal in policy: "SERVICE":"not a service"`},
		{"TrustPrincipalString", `{"Statement":[{` + trustOK + `,"Principal":"111122223333"}]}`, Trust, MsgSyntax},
		{"TrustPrincipalUnknownKey", `{"Statement":[{` + trustOK + `,"Principal":{"User":"x"}}]}`, Trust, MsgSyntax},
		{"TrustPrincipalEmpty", `{"Statement":[{` + trustOK + `,"Principal":{}}]}`, Trust, MsgSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.doc, tt.kind)
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("Parse()=(%v, %v), want *MalformedError", d, err)
			}
			if me.Message != tt.want {
				t.Fatalf("Message=%q, want %q", me.Message, tt.want)
			}
		})
	}
}

func TestKind_String(t *testing.T) {
	for k, want := range map[Kind]string{Identity: "Identity", Trust: "Trust", Kind(7): "Kind(7)"} {
		if got := k.String(); got != want {
			t.Fatalf("String()=%q, want %q", got, want)
		}
	}
}
