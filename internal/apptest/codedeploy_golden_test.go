package apptest_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/awsproto"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestCodeDeployGolden compares the wire bodies of a few responses, with
// what varies between runs normalized, against testdata/codedeploy, and
// checks that every key of each golden body is a member of the model's
// output shape where it stands. Run with -update to rewrite the files.
func TestCodeDeployGolden(t *testing.T) {
	// The golden bodies show a deployment as created: the engine must not
	// start it while they are read.
	srv, c := startCodeDeploy(t, apptest.WithoutEngine())
	newApp(t, c, "web", "")
	noErr(t)(c.CreateDeploymentGroup(ctx, goldenGroup()))
	registerTagged(t, c, testTags("env", "prod"), "web-1")
	in := depInput()
	in.ApplicationName, in.DeploymentGroupName, in.Description = aws.String("web"), aws.String("prod"), aws.String("golden")
	id := createDep(t, c, in)

	calls := []struct{ op, body string }{
		{"GetApplication", `{"applicationName": "web"}`},
		{"GetDeploymentGroup", `{"applicationName": "web", "deploymentGroupName": "prod"}`},
		{"GetDeployment", `{"deploymentId": "` + id + `"}`},
		{"GetDeploymentConfig", `{"deploymentConfigName": "CodeDeployDefault.OneAtATime"}`},
		{"GetOnPremisesInstance", `{"instanceName": "web-1"}`},
	}
	model := awsproto.MustLoadModel("codedeploy")
	for _, call := range calls {
		t.Run(call.op, func(t *testing.T) {
			got := normalize(t, srv, rawCodeDeploy(t, srv, call.op, call.body))
			golden := checkGolden(t, filepath.Join("testdata", "codedeploy", call.op+".json"), got)
			checkMembers(t, model.Operations[call.op].OutputShape(), decodeJSON(t, golden), call.op)
		})
	}
}

// goldenGroup is a group with tag filters, a trigger, alarms and
// automatic rollback.
func goldenGroup() *codedeploy.CreateDeploymentGroupInput {
	return &codedeploy.CreateDeploymentGroupInput{
		ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("prod"), ServiceRoleArn: aws.String(testRole),
		OnPremisesInstanceTagFilters: []types.TagFilter{{Key: aws.String("env"), Value: aws.String("prod"), Type: types.TagFilterTypeKeyAndValue}},
		TriggerConfigurations: []types.TriggerConfig{{TriggerName: aws.String("notify"),
			TriggerTargetArn: aws.String("arn:aws:sns:us-east-1:123456789012:deploys"),
			TriggerEvents:    []types.TriggerEventType{types.TriggerEventTypeDeploymentFailure, types.TriggerEventTypeDeploymentSuccess}}},
		AlarmConfiguration: &types.AlarmConfiguration{Enabled: true, Alarms: []types.Alarm{{Name: aws.String("cpu-high")}, {Name: aws.String("errors")}}},
		AutoRollbackConfiguration: &types.AutoRollbackConfiguration{Enabled: true,
			Events: []types.AutoRollbackEvent{types.AutoRollbackEventDeploymentFailure}},
	}
}

// rawCodeDeploy sends a CodeDeploy request signed by the root and returns
// the body of its 200 answer.
func rawCodeDeploy(t *testing.T, srv *apptest.Server, op, body string) []byte {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "CodeDeploy_20141006."+op)
	res := send(t, req, []byte(body), &srv.Root, "codedeploy", time.Now())
	if res.status != http.StatusOK {
		t.Fatalf("%s: status=%d body=%s, want 200", op, res.status, res.body)
	}
	return []byte(res.body)
}

// Normalized values: what a run makes up is replaced by a placeholder.
var (
	variableIDs       = map[string]bool{"applicationId": true, "deploymentGroupId": true, "deploymentId": true}
	instanceARNSuffix = regexp.MustCompile(`(:instance/[^_]+)_[A-Za-z0-9]{10}$`)
	timestampKey      = regexp.MustCompile(`(Time|At)$`)
)

// normalize replaces generated ids, timestamps, the server's account and
// instance ARN suffixes, and returns the body indented with sorted keys.
func normalize(t *testing.T, srv *apptest.Server, body []byte) []byte {
	t.Helper()
	var walk func(key string, v any) any
	walk = func(key string, v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				v[k] = walk(k, x)
			}
		case []any:
			for i, x := range v {
				v[i] = walk(key, x)
			}
		case json.Number:
			if timestampKey.MatchString(key) {
				return "<time>"
			}
		case string:
			if variableIDs[key] {
				return "<id>"
			}
			v = strings.ReplaceAll(v, srv.Account(), "<account>")
			return instanceARNSuffix.ReplaceAllString(v, "${1}_<suffix>")
		}
		return v
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // keep the placeholders readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(walk("", decodeJSON(t, body))); err != nil {
		t.Fatalf("encode: %v", err)
	}
	return out.Bytes()
}

func decodeJSON(t *testing.T, body []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

// checkGolden compares got with the golden file, or rewrites the file
// with -update; it returns the golden body.
func checkGolden(t *testing.T, path string, got []byte) []byte {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return got
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-golden +got); run with -update if the change is intended:\n%s", path, diff)
	}
	return want
}

// checkMembers checks that every key of v names a member of shape at its
// level, and that objects and arrays stand where the shape has them.
func checkMembers(t *testing.T, shape *awsproto.Shape, v any, path string) {
	t.Helper()
	if shape == nil {
		t.Fatalf("%s: no shape in the model", path)
	}
	switch v := v.(type) {
	case map[string]any:
		switch shape.Type {
		case "structure":
			for k, x := range v {
				ref := shape.Members[k]
				if ref == nil {
					t.Errorf("%s.%s: not a member of %s (members: %v)", path, k, shape.Name, shape.MemberNames())
					continue
				}
				checkMembers(t, ref.Shape, x, path+"."+k)
			}
		case "map":
			for k, x := range v {
				checkMembers(t, shape.Value.Shape, x, path+"."+k)
			}
		default:
			t.Errorf("%s: an object where %s is a %s", path, shape.Name, shape.Type)
		}
	case []any:
		if shape.Type != "list" {
			t.Errorf("%s: an array where %s is a %s", path, shape.Name, shape.Type)
			return
		}
		for _, x := range v {
			checkMembers(t, shape.Member.Shape, x, path+"[]")
		}
	}
}
