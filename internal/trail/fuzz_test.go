package trail_test

import (
	"encoding/json"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// FuzzBuild decodes random JSON against CodeDeploy and IAM input and
// output shapes, as the server would, and checks that the record builds
// and marshals to valid JSON.
func FuzzBuild(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"applicationName": "MyApp", "deploymentGroupName": "MyDG", "revision": {"revisionType": "S3",
		  "s3Location": {"bucket": "b", "key": "k", "bundleType": "zip"}}, "ignoreApplicationStopFailures": false}`,
		`{"applicationName": "A", "createTimeRange": {"start": 1e10, "end": "9999-12-31T23:59:59Z"}, "tags": [{"Key": "\u0000", "Value": "\ud800"}]}`,
		`{"UserName": "bob", "Password": "hunter2", "Tags": [{"Key": "k", "Value": "v"}], "MaxItems": 1000}`,
		`{"User": {"UserName": "bob", "CreateDate": -62135596800}, "AccessKey": {"SecretAccessKey": "s"}}`,
		`{"deploymentConfigName": "x", "minimumHealthyHosts": {"type": "FLEET_PERCENT", "value": 75}, "trafficRoutingConfig": {}}`,
	} {
		f.Add([]byte(seed), uint16(0), false)
	}
	var ops []struct {
		svc *awsproto.Service
		op  *awsproto.Op
	}
	for _, svc := range []*awsproto.Service{codedeploySvc, iamSvc} {
		for _, name := range sortedOps(svc.Model) {
			ops = append(ops, struct {
				svc *awsproto.Service
				op  *awsproto.Op
			}{svc, op(f, svc, name)})
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, pick uint16, failed bool) {
		o := ops[int(pick)%len(ops)]
		params, _ := awsproto.DecodeJSON(o.op.Model.InputShape(), body) // nil when undecodable, as in the server
		var output map[string]any
		if out, err := awsproto.DecodeJSON(o.op.Model.OutputShape(), body); err == nil {
			output = out
		}
		in := trail.Input{
			Call: &awsproto.Call{RequestID: string(body), Service: o.svc, Operation: o.op.Name, Region: "us-east-1",
				SourceIP: "203.0.113.10", UserAgent: string(body), Principal: alice},
			Op: o.op, Params: params, Output: output, Done: done, EventID: trail.NewEventID(),
		}
		if failed {
			in.Err = awserr.New("InvalidInputException", string(body))
		}
		b, err := json.Marshal(trail.Build(in))
		if err != nil {
			t.Fatalf("marshal record of %s: %v", o.op.Name, err)
		}
		if !json.Valid(b) || !utf8.Valid(b) {
			t.Fatalf("record of %s is not valid UTF-8 JSON: %s", o.op.Name, b)
		}
	})
}

func sortedOps(m *awsproto.Model) []string {
	names := make([]string, 0, len(m.Operations))
	for n := range m.Operations {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
