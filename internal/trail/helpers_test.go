package trail_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// The services as their packages declare them, minus the handlers.
var (
	codedeploySvc = &awsproto.Service{Name: "codedeploy", EventSource: "codedeploy.amazonaws.com",
		Protocol: awsproto.JSON, Model: awsproto.MustLoadModel("codedeploy")}
	iamSvc = &awsproto.Service{Name: "iam", EventSource: "iam.amazonaws.com",
		Protocol: awsproto.Query, Model: awsproto.MustLoadModel("iam"), GlobalRegion: "us-east-1"}
	stsSvc = &awsproto.Service{Name: "sts", EventSource: "sts.amazonaws.com",
		Protocol: awsproto.Query, Model: awsproto.MustLoadModel("sts"), GlobalRegion: "us-east-1"}
	cloudtrailSvc = &awsproto.Service{Name: "cloudtrail", EventSource: "cloudtrail.amazonaws.com",
		Protocol: awsproto.JSON, Model: awsproto.MustLoadModel("cloudtrail")}
	orgsSvc = &awsproto.Service{Name: "organizations", EventSource: "organizations.amazonaws.com",
		Protocol: awsproto.JSON, Model: awsproto.MustLoadModel("organizations"), GlobalRegion: "us-east-1"}
)

// alice is the IAM user of the spec's first example.
var alice = &awsproto.Principal{
	Type:        awsproto.PrincipalIAMUser,
	PrincipalID: "AIDAJ45Q7YFFAREXAMPLE",
	ARN:         "arn:aws:iam::111122223333:user/alice",
	AccountID:   "111122223333",
	AccessKeyID: "AKIAIOSFODNN7EXAMPLE",
	UserName:    "alice",
}

var done = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// op returns the served operation name of svc, as awsproto.Handle makes it
// (STS's GetSessionToken and GetFederationToken are also Mutating).
func op(tb testing.TB, svc *awsproto.Service, name string) *awsproto.Op {
	tb.Helper()
	m, ok := svc.Model.Operations[name]
	if !ok {
		tb.Fatalf("%s has no operation %s", svc.Name, name)
	}
	readOnly := awsproto.IsReadOnly(name)
	return &awsproto.Op{Name: name, Model: m, ReadOnly: readOnly, Mutates: !readOnly || stsMutating[name]}
}

// stsMutating are the operations internal/iam marks Mutating.
var stsMutating = map[string]bool{"GetSessionToken": true, "GetFederationToken": true}

// input is a successful call of operation name by alice, with the request
// body decoded as the server decodes it (JSON body or Query form).
func input(tb testing.TB, svc *awsproto.Service, name, body string) trail.Input {
	tb.Helper()
	o := op(tb, svc, name)
	var p awsproto.Params
	var err error
	if svc.Protocol == awsproto.Query {
		form, perr := url.ParseQuery(body)
		if perr != nil {
			tb.Fatal(perr)
		}
		p, err = awsproto.DecodeQuery(o.Model.InputShape(), form, "ValidationError")
	} else {
		p, err = awsproto.DecodeJSON(o.Model.InputShape(), []byte(body))
	}
	if err != nil {
		tb.Fatalf("decode %s: %v", name, err)
	}
	return trail.Input{
		Call: &awsproto.Call{RequestID: "req-1", Service: svc, Operation: name, Region: "eu-west-1",
			Time: done.Add(-time.Second), SourceIP: "203.0.113.10", UserAgent: "aws-cli/2.15.0", Principal: alice},
		Op: o, Params: p, Done: done, EventID: "e5bc95e4-4695-40dc-b4eb-14e1156f2a22",
	}
}

// tree is an output tree as awsproto.ToTree makes it from JSON.
func tree(tb testing.TB, js string) map[string]any {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(js)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		tb.Fatalf("tree %s: %v", js, err)
	}
	return m
}

func mustMarshal(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("marshal: %v", err)
	}
	return b
}

// decoded is v's JSON decoded into plain values, for comparisons that
// ignore key order and number types.
func decoded(tb testing.TB, v any) any {
	tb.Helper()
	var out any
	if err := json.Unmarshal(mustMarshal(tb, v), &out); err != nil {
		tb.Fatal(err)
	}
	return out
}
