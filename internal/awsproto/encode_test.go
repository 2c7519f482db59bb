package awsproto

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// checkGolden compares got with testdata/name, or rewrites it under -update.
func checkGolden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		tb.Fatalf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// Typed outputs as a service declares them: json names are model member
// names, xml tags let the test read the response back.
type (
	testTag struct {
		Key   string
		Value string
	}
	testBoundary struct {
		PermissionsBoundaryType string
		PermissionsBoundaryArn  string
	}
	testUser struct {
		Path                string
		UserName            string
		UserId              string
		Arn                 string
		CreateDate          time.Time
		PasswordLastUsed    *time.Time    `json:",omitempty"`
		PermissionsBoundary *testBoundary `json:",omitempty"`
		Tags                []testTag     `json:",omitempty" xml:"Tags>member"`
	}
	testListUsersOutput struct {
		Users       []testUser
		IsTruncated bool
		Marker      string `json:",omitempty"`
		StoreCursor string // not in the model: must never reach the wire
	}
	xmlListUsersResponse struct {
		XMLName xml.Name `xml:"https://iam.amazonaws.com/doc/2010-05-08/ ListUsersResponse"`
		Result  struct {
			Users       []testUser `xml:"Users>member"`
			IsTruncated bool
			Marker      string
			StoreCursor string
		} `xml:"ListUsersResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
)

func listUsersFixture() testListUsersOutput {
	used := time.Date(2024, 2, 29, 8, 0, 1, 0, time.UTC)
	return testListUsersOutput{
		Users: []testUser{{
			Path:       "/",
			UserName:   "alice",
			UserId:     "AIDAEXAMPLEALICE0001",
			Arn:        "arn:aws:iam::123456789012:user/alice",
			CreateDate: time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC),
		}, {
			Path:             "/eng/",
			UserName:         "bob",
			UserId:           "AIDAEXAMPLEBOB000002",
			Arn:              "arn:aws:iam::123456789012:user/eng/bob",
			CreateDate:       time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
			PasswordLastUsed: &used,
			PermissionsBoundary: &testBoundary{
				PermissionsBoundaryType: "PermissionsBoundaryPolicy",
				PermissionsBoundaryArn:  "arn:aws:iam::123456789012:policy/boundary",
			},
			Tags: []testTag{{"team", "core"}, {"cost-center", "4711"}},
		}},
		IsTruncated: true,
		Marker:      "AAEAAQ==",
		StoreCursor: "users/bob",
	}
}

func mustTree(tb testing.TB, out any) map[string]any {
	tb.Helper()
	tree, err := ToTree(out)
	if err != nil {
		tb.Fatalf("ToTree: %v", err)
	}
	return tree
}

func TestEncodeQueryResponse_Golden(t *testing.T) {
	iam := MustLoadModel("iam")
	synth := loadSynth(t)
	when := time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC)
	tests := []struct {
		golden string
		model  *Model
		op     string
		tree   map[string]any
	}{
		{"ListUsers.xml", iam, "ListUsers", mustTree(t, listUsersFixture())},
		{"TagUser.xml", iam, "TagUser", nil},
		{"Echo.xml", synth, "Echo", map[string]any{
			"Name": "n", "Alias": "a",
			"Attributes": map[string]any{"b": "y", "a": "x"},
			"Labels":     map[string]any{"k2": "v2", "k1": "v1"},
			"Items":      []any{"i1", "i2"},
			"Names":      []any{"n1", "n2"},
			"Nested":     map[string]any{"Id": "i", "Tags": map[string]any{"k": "v"}},
			"When":       when,
			"Count":      json.Number("3"),
			"Flag":       false,
		}},
		{"Pong.xml", synth, "Pong", map[string]any{"Name": "n", "Items": []any{}}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			got := EncodeQueryResponse(tt.model, tt.model.Operations[tt.op], tt.tree, "b6f1c6a8-7d43-4ce5-9d44-3c2a5e7f0a11")
			checkGolden(t, tt.golden, got)
		})
	}
}

// TestEncodeQueryResponse_RoundTrip reads a response back with
// encoding/xml, as an SDK would, and compares it with the typed output.
func TestEncodeQueryResponse_RoundTrip(t *testing.T) {
	iam := MustLoadModel("iam")
	out := listUsersFixture()
	body := EncodeQueryResponse(iam, iam.Operations["ListUsers"], mustTree(t, out), "req-1")
	var got xmlListUsersResponse
	if err := xml.Unmarshal(body, &got); err != nil {
		t.Fatalf("xml.Unmarshal: %v\n%s", err, body)
	}
	if diff := cmp.Diff(out.Users, got.Result.Users); diff != "" {
		t.Fatalf("Users mismatch (-want +got):\n%s", diff)
	}
	if !got.Result.IsTruncated || got.Result.Marker != out.Marker || got.RequestID != "req-1" {
		t.Fatalf("IsTruncated=%v Marker=%q RequestId=%q", got.Result.IsTruncated, got.Result.Marker, got.RequestID)
	}
	if got.Result.StoreCursor != "" || bytes.Contains(body, []byte("users/bob")) {
		t.Fatalf("a member outside the model reached the wire:\n%s", body)
	}
}

func TestEncodeQueryResponse_Timestamps(t *testing.T) {
	iam := MustLoadModel("iam")
	op := iam.Operations["GetUser"]
	for _, tt := range []struct {
		in   any
		want string
	}{
		{time.Date(2023, 11, 14, 22, 13, 20, 999e6, time.UTC), "2023-11-14T22:13:20Z"}, // fractions dropped, not rounded
		{time.Date(2023, 11, 15, 0, 13, 20, 0, time.FixedZone("", 7200)), "2023-11-14T22:13:20Z"},
		{"2023-11-14T22:13:20.5Z", "2023-11-14T22:13:20Z"},
	} {
		tree := map[string]any{"User": map[string]any{"CreateDate": tt.in}}
		body := string(EncodeQueryResponse(iam, op, tree, "r"))
		if want := "<CreateDate>" + tt.want + "</CreateDate>"; !strings.Contains(body, want) {
			t.Errorf("CreateDate %v: body %s, want %s", tt.in, body, want)
		}
	}
}

func TestEncodeQueryResponse_Escaping(t *testing.T) {
	iam := MustLoadModel("iam")
	tree := map[string]any{"User": map[string]any{
		"UserName": `a<b>&"c'`,
		"Path":     "/\x00\u2603/",
		"Tags":     []any{map[string]any{"Key": "]]>", "Value": "<![CDATA[x]]>"}},
	}}
	body := EncodeQueryResponse(iam, iam.Operations["GetUser"], tree, `id<&>`)
	for _, want := range []string{
		"<UserName>a&lt;b&gt;&amp;&#34;c&#39;</UserName>",
		"<Path>/\uFFFD\u2603/</Path>", // XML 1.0 cannot carry NUL
		"<Key>]]&gt;</Key><Value>&lt;![CDATA[x]]&gt;</Value>",
		"<RequestId>id&lt;&amp;&gt;</RequestId>",
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("body lacks %s:\n%s", want, body)
		}
	}
	var parsed struct {
		User struct {
			UserName string
			Tags     []testTag `xml:"Tags>member"`
		} `xml:"GetUserResult>User"`
	}
	if err := xml.Unmarshal(body, &parsed); err != nil {
		t.Fatalf("xml.Unmarshal: %v", err)
	}
	if parsed.User.UserName != `a<b>&"c'` || parsed.User.Tags[0].Value != "<![CDATA[x]]>" {
		t.Fatalf("parsed back %+v", parsed.User)
	}
}

func TestEncodeJSON(t *testing.T) {
	org := MustLoadModel("organizations")
	describe := org.Operations["DescribeAccount"].OutputShape()
	list := org.Operations["ListAccounts"].OutputShape()
	when := time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC)
	tests := []struct {
		name  string
		shape *Shape
		tree  map[string]any
		want  string
	}{
		{"nil tree", describe, nil, `{}`},
		{"nil shape", nil, map[string]any{"Account": 1}, `{}`},
		{"unknown members dropped", describe, map[string]any{
			"Account":  map[string]any{"Id": "123456789012", "PasswordHash": "x"},
			"Internal": "x",
		}, `{"Account":{"Id":"123456789012"}}`},
		{"nil members dropped", describe, map[string]any{"Account": map[string]any{"Id": nil, "Name": "n"}}, `{"Account":{"Name":"n"}}`},
		{"time.Time to epoch", describe, map[string]any{"Account": map[string]any{"JoinedTimestamp": when}},
			`{"Account":{"JoinedTimestamp":1700000000}}`},
		{"millis kept", describe, map[string]any{"Account": map[string]any{"JoinedTimestamp": when.Add(123456789)}},
			`{"Account":{"JoinedTimestamp":1700000000.123}}`},
		{"RFC 3339 string to epoch", describe, map[string]any{"Account": map[string]any{"JoinedTimestamp": "2023-11-15T00:13:20.5+02:00"}},
			`{"Account":{"JoinedTimestamp":1700000000.500}}`},
		{"before 1970", describe, map[string]any{"Account": map[string]any{"JoinedTimestamp": time.Unix(-1, 0)}},
			`{"Account":{"JoinedTimestamp":-1}}`},
		{"list of structures", list, map[string]any{
			"Accounts":  []any{map[string]any{"Id": "1", "JoinedTimestamp": when, "X": 1}, map[string]any{"Id": "2"}},
			"NextToken": "t",
		}, `{"Accounts":[{"Id":"1","JoinedTimestamp":1700000000},{"Id":"2"}],"NextToken":"t"}`},
		{"empty list kept", list, map[string]any{"Accounts": []any{}}, `{"Accounts":[]}`},
		{"numbers and booleans pass through", loadSynth(t).Operations["Echo"].OutputShape(), map[string]any{
			"Count": json.Number("9007199254740993"), "Flag": false, "Attributes": map[string]any{"k": "v"},
		}, `{"Attributes":{"k":"v"},"Count":9007199254740993,"Flag":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeJSON(tt.shape, tt.tree)
			if err != nil {
				t.Fatalf("EncodeJSON: %v", err)
			}
			if string(got) != tt.want {
				t.Fatalf("EncodeJSON=%s, want %s", got, tt.want)
			}
		})
	}
}

// TestEncodeJSON_Typed goes from a typed output through ToTree, as Handle
// does, so time.Time travels as an RFC 3339 string in between.
func TestEncodeJSON_Typed(t *testing.T) {
	type account struct {
		Id              string
		JoinedTimestamp time.Time
		Secret          string
	}
	out := struct{ Account account }{account{"123456789012", time.Date(2023, 11, 14, 22, 13, 20, 250e6, time.UTC), "s3cr3t"}}
	got, err := EncodeJSON(MustLoadModel("organizations").Operations["DescribeAccount"].OutputShape(), mustTree(t, out))
	if err != nil {
		t.Fatalf("EncodeJSON: %v", err)
	}
	if want := `{"Account":{"Id":"123456789012","JoinedTimestamp":1700000000.250}}`; string(got) != want {
		t.Fatalf("EncodeJSON=%s, want %s", got, want)
	}
	if tree, err := ToTree(nil); err != nil || len(tree) != 0 {
		t.Fatalf("ToTree(nil)=%v, %v", tree, err)
	}
	if _, err := ToTree(make(chan int)); err == nil {
		t.Fatalf("ToTree(chan) succeeded")
	}
}

func TestEncodeJSONError(t *testing.T) {
	tests := []struct {
		name, service, code, want string
	}{
		{"Organizations uses Message", "organizations", "AWSOrganizationsNotInUseException",
			`{"Message":"m \u003c\u0026\u003e","__type":"AWSOrganizationsNotInUseException"}`},
		{"unmodelled code", "organizations", "SerializationException",
			`{"__type":"SerializationException","message":"m \u003c\u0026\u003e"}`},
		{"STS exception uses message", "sts", "ExpiredTokenException",
			`{"__type":"ExpiredTokenException","message":"m \u003c\u0026\u003e"}`},
		{"no model", "", "InternalFailure",
			`{"__type":"InternalFailure","message":"m \u003c\u0026\u003e"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m *Model
			if tt.service != "" {
				m = MustLoadModel(tt.service)
			}
			if got := EncodeJSONError(m, tt.code, "m <&>"); string(got) != tt.want {
				t.Fatalf("EncodeJSONError=%s, want %s", got, tt.want)
			}
		})
	}
}

func TestEncodeQueryError(t *testing.T) {
	const ns = "https://iam.amazonaws.com/doc/2010-05-08/"
	tests := []struct {
		name   string
		sender bool
		want   string
	}{
		{"Sender", true, `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">` +
			`<Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name &lt;bob&gt; cannot be found.</Message></Error>` +
			`<RequestId>req-1</RequestId></ErrorResponse>`},
		{"Receiver", false, `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">` +
			`<Error><Type>Receiver</Type><Code>NoSuchEntity</Code><Message>The user with name &lt;bob&gt; cannot be found.</Message></Error>` +
			`<RequestId>req-1</RequestId></ErrorResponse>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EncodeQueryError(ns, "NoSuchEntity", "The user with name <bob> cannot be found.", "req-1", tt.sender)
			if string(got) != tt.want {
				t.Fatalf("EncodeQueryError=\n%s\nwant\n%s", got, tt.want)
			}
			var parsed struct {
				Error struct{ Type, Code, Message string }
			}
			if err := xml.Unmarshal(got, &parsed); err != nil || parsed.Error.Message != "The user with name <bob> cannot be found." {
				t.Fatalf("parsed back %+v, %v", parsed, err)
			}
		})
	}
}
