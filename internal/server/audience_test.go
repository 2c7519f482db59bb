package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/server"
	"github.com/deploytrail/deploytrail/internal/sigv4"
	"github.com/deploytrail/deploytrail/internal/store"
)

const (
	ownerAccount   = "222233334444" // an account of the server
	unknownAccount = "999988887777" // none
)

// failingAccounts is the IAM store with account lookups of fail failing,
// as a disk error would make them.
type failingAccounts struct {
	iam.Store
	fail string
}

func (f failingAccounts) Account(ctx context.Context, id string) (*iam.Account, error) {
	if id == f.fail {
		return nil, errors.New("disk I/O error")
	}
	return f.Store.Account(ctx, id)
}

// crossAccount serves one mutating operation whose record lists a
// resource in ownerAccount and one in unknownAccount; invoked counts its
// runs.
func crossAccount(invoked *atomic.Int32) *awsproto.Service {
	svc := &awsproto.Service{Name: "organizations", Protocol: awsproto.JSON, Model: awsproto.MustLoadModel("organizations"),
		ValidationCode: "InvalidInputException"}
	awsproto.Handle(svc, "CreateOrganization", func(context.Context, *struct{}) (*struct{}, error) {
		invoked.Add(1)
		return &struct{}{}, nil
	})
	svc.RecordResources(map[string]awsproto.EventResourcesFunc{"CreateOrganization": func(*awsproto.Call, awsproto.Params) []awsproto.Resource {
		return []awsproto.Resource{
			{ARN: "arn:aws:iam::" + ownerAccount + ":role/r", AccountID: ownerAccount, Type: "AWS::IAM::Role"},
			{ARN: "arn:aws:iam::" + unknownAccount + ":role/r", AccountID: unknownAccount, Type: "AWS::IAM::Role"},
		}
	}})
	return svc
}

// startCrossAccount serves crossAccount with ownerAccount created; the
// IAM store fails lookups of failAccount.
func startCrossAccount(t *testing.T, failAccount string, invoked *atomic.Int32) (string, sigv4.Credentials, store.Events, string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := (store.IAM{DB: db}).InsertAccount(ctx, &iam.Account{ID: ownerAccount, Name: "owner", Email: "o@example.com",
		Status: "ACTIVE", JoinedMethod: "CREATED", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	ids := iam.New(failingAccounts{Store: store.IAM{DB: db}, fail: failAccount})
	root, err := ids.Bootstrap(ctx, iam.Root{})
	if err != nil {
		t.Fatal(err)
	}
	events := store.Events{DB: db}
	hs := httptest.NewServer(server.New(ids, events, crossAccount(invoked)))
	t.Cleanup(hs.Close)
	return hs.URL, sigv4.Credentials{AccessKeyID: root.AccessKeyID, SecretAccessKey: root.SecretAccessKey}, events, root.AccountID
}

// latest decodes an account's records in us-east-1, newest first.
func latest(t *testing.T, events store.Events, account string) []map[string]any {
	t.Helper()
	raw, err := events.Latest(context.Background(), account, "us-east-1", 10)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, r := range raw {
		var rec map[string]any
		if err := json.Unmarshal([]byte(r), &rec); err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
	return out
}

// TestAudience_CopyPerOwnerAccount: a call whose record lists another
// account's resource is recorded for the caller and for that owner, with
// one sharedEventID; an account the server does not have gets no copy.
func TestAudience_CopyPerOwnerAccount(t *testing.T) {
	var invoked atomic.Int32
	url, creds, events, caller := startCrossAccount(t, "", &invoked)
	if resp, body := call(t, url, creds, "CreateOrganization"); resp.StatusCode != 200 {
		t.Fatalf("got %d %v", resp.StatusCode, body)
	}
	mine, theirs := latest(t, events, caller), latest(t, events, ownerAccount)
	if len(mine) != 1 || len(theirs) != 1 || len(latest(t, events, unknownAccount)) != 0 {
		t.Fatalf("records: %d caller's, %d owner's, %d unknown's; want 1, 1, 0", len(mine), len(theirs), len(latest(t, events, unknownAccount)))
	}
	if s := mine[0]["sharedEventID"]; s == nil || s != theirs[0]["sharedEventID"] || mine[0]["eventID"] == theirs[0]["eventID"] {
		t.Errorf("caller's %v / owner's %v: want one sharedEventID, two eventIDs", mine[0], theirs[0])
	}
}

// TestAudience_LookupErrorFailsTheCall: when the owner account cannot be
// looked up, the call fails with InternalFailure before it runs, and no
// record is half-written.
func TestAudience_LookupErrorFailsTheCall(t *testing.T) {
	var invoked atomic.Int32
	url, creds, events, caller := startCrossAccount(t, ownerAccount, &invoked)
	if resp, body := call(t, url, creds, "CreateOrganization"); resp.StatusCode != 500 || body["__type"] != "InternalFailure" {
		t.Fatalf("got %d %v, want 500 InternalFailure", resp.StatusCode, body)
	}
	if invoked.Load() != 0 || len(latest(t, events, caller)) != 0 || len(latest(t, events, ownerAccount)) != 0 {
		t.Errorf("invoked %d times, records %d/%d; want nothing done", invoked.Load(), len(latest(t, events, caller)), len(latest(t, events, ownerAccount)))
	}
}
