package trail_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// TestBuild_TLSDetails: a call over TLS has tlsDetails with every field
// the connection gave; the client's Host header is cut at 1 KB like the
// other client-chosen strings; a plain-HTTP call has none.
func TestBuild_TLSDetails(t *testing.T) {
	in := input(t, codedeploySvc, "ListApplications", `{}`)
	if e := trail.Build(in); e.TLSDetails != nil {
		t.Errorf("plain HTTP: tlsDetails=%+v, want none", e.TLSDetails)
	}
	in.Call.TLS = &awsproto.TLSDetails{Version: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256",
		Host: "codedeploy.us-east-1.amazonaws.com", KeyExchange: "X25519MLKEM768"}
	want := &trail.TLSDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256",
		ClientProvidedHostHeader: "codedeploy.us-east-1.amazonaws.com", KeyExchange: "X25519MLKEM768"}
	if diff := cmp.Diff(want, trail.Build(in).TLSDetails); diff != "" {
		t.Errorf("tlsDetails (-want +got):\n%s", diff)
	}
	in.Call.TLS.Host = strings.Repeat("h", 5000)
	if got := trail.Build(in).TLSDetails.ClientProvidedHostHeader; len(got) != 1024 {
		t.Errorf("clientProvidedHostHeader of a 5000-byte Host has %d bytes, want 1024", len(got))
	}
}
