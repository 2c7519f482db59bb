package policy

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics, returns only *MalformedError,
// and that whatever it accepts can be evaluated without panicking.
func FuzzParse(f *testing.F) {
	seeds := []string{
		``,
		`{}`,
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		benchPolicy,
		trustDoc(`{"AWS":["111122223333","arn:aws:iam::444455556666:role/R"],"Service":"codedeploy.amazonaws.com"}`),
		trustDoc(`"*"`),
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:s3:::b/${aws:username}/${*}",
			"Condition":{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*",1,true]},"Null":{"aws:TokenIssueTime":"true"},
			"DateLessThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::1"]},
			"ArnLike":{"aws:SourceArn":"arn:aws:*:*:${aws:PrincipalAccount}:*"}}}]}`,
	}
	for _, s := range seeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	ctx := map[string][]string{
		"aws:username": {"alice"}, "aws:SourceIp": {"10.1.2.3"}, "aws:TagKeys": {"a", "b"},
		"aws:CurrentTime": {"2024-06-01T12:00:00Z"}, "aws:PrincipalAccount": {"111122223333"},
		"aws:SourceArn": {dgARN}, "aws:MultiFactorAuthPresent": {"true"},
	}
	reqs := []*Request{
		{Action: "codedeploy:CreateDeployment", Resource: dgARN, Context: ctx,
			Principal: Principal{AWS: []string{"arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:root"}}},
		{Action: "sts:AssumeRole", Resource: "*", Principal: Principal{Service: "codedeploy.amazonaws.com"}},
		{Action: "", Resource: "", Context: map[string][]string{"aws:SourceIp": {"::ffff:1.2.3.4"}, "aws:CurrentTime": {"x"}}},
	}
	f.Fuzz(func(t *testing.T, doc string, trust bool) {
		kind := Identity
		if trust {
			kind = Trust
		}
		d, err := Parse(doc, kind)
		if err != nil {
			var me *MalformedError
			if !errors.As(err, &me) || me.Message == "" {
				t.Fatalf("Parse() error=%#v, want *MalformedError with a message", err)
			}
			return
		}
		if len(d.Statements) == 0 {
			t.Fatalf("len(Statements)=0, want > 0")
		}
		for _, req := range reqs {
			Evaluate(req, d)
			EvaluateSession(req, []*Document{d}, []*Document{d})
		}
	})
}
