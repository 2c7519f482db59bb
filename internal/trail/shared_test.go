package trail_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/trail"
)

const (
	memberRole = "arn:aws:iam::444455556666:role/OrganizationAccountAccessRole"
	sharedID   = "8f2d3b1a-6c4e-4f5a-9b7d-0e1f2a3b4c5d"
	copyID     = "c0ffee00-1234-4abc-8def-0123456789ab"
)

// assumeMemberRole is alice (account 111122223333) assuming a role of
// account 444455556666, as AWS's AssumeRole record lists it.
func assumeMemberRole(t *testing.T) trail.Input {
	in := input(t, stsSvc, "AssumeRole", "RoleArn="+memberRole+"&RoleSessionName=ops")
	in.Call.Region = "us-east-1"
	in.Output = tree(t, `{"AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLEEXAMPLE123:ops",
		"Arn": "arn:aws:sts::444455556666:assumed-role/OrganizationAccountAccessRole/ops"},
		"Credentials": {"AccessKeyId": "ASIAEXAMPLEEXAMPLE12", "SecretAccessKey": "secret", "SessionToken": "token",
		"Expiration": "2025-01-02T04:04:05Z"}}`)
	in.Resources = []awsproto.Resource{{ARN: memberRole, AccountID: "444455556666", Type: "AWS::IAM::Role"}}
	return in
}

// TestBuild_Resources: the declared resources become the record's
// resources array with AWS's keys (ARN, accountId, type); none, no key.
func TestBuild_Resources(t *testing.T) {
	e := trail.Build(assumeMemberRole(t))
	want := []trail.Resource{{ARN: memberRole, AccountID: "444455556666", Type: "AWS::IAM::Role"}}
	if diff := cmp.Diff(want, e.Resources); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	got := mustMarshal(t, e)
	if !bytes.Contains(got, []byte(`"resources":[{"ARN":"`+memberRole+`","accountId":"444455556666","type":"AWS::IAM::Role"}]`)) {
		t.Errorf("record %s lacks the resources array in AWS's shape", got)
	}
	checkKeyOrder(t, got)
	if plain := mustMarshal(t, trail.Build(specCreateDeployment(t))); bytes.Contains(plain, []byte(`"resources"`)) {
		t.Errorf("CodeDeploy record %s has resources; AWS's have none (spec §5.1)", plain)
	}
}

// TestShare_OneAccount: a record only its caller's account receives
// stays alone and has no sharedEventID (spec §10.4).
func TestShare_OneAccount(t *testing.T) {
	e := trail.Build(assumeMemberRole(t))
	evs := trail.Share(e, sharedID, nil)
	if len(evs) != 1 || evs[0] != e || e.SharedEventID != "" {
		t.Fatalf("Share without copies = %d records, sharedEventID %q; want e alone without it", len(evs), e.SharedEventID)
	}
}

// TestShare_CrossAccount: a call on another account's role is one record
// per account, each with its own eventID and recipientAccountId, both
// with the same sharedEventID; the owner's shows the caller as
// AWSAccount (spec §3.2), without its ARN or access key; otherwise they
// are identical.
func TestShare_CrossAccount(t *testing.T) {
	evs := trail.Share(trail.Build(assumeMemberRole(t)), sharedID, map[string]string{"444455556666": copyID})
	if len(evs) != 2 {
		t.Fatalf("records=%d, want 2", len(evs))
	}
	caller, owner := evs[0], evs[1]
	if caller.RecipientAccountID != "111122223333" || owner.RecipientAccountID != "444455556666" {
		t.Errorf("recipients=%s,%s, want the caller's then the owner's", caller.RecipientAccountID, owner.RecipientAccountID)
	}
	if caller.EventID == owner.EventID || owner.EventID != copyID {
		t.Errorf("eventIDs=%s,%s, want distinct, the copy's %s", caller.EventID, owner.EventID, copyID)
	}
	if caller.SharedEventID != sharedID || owner.SharedEventID != sharedID {
		t.Errorf("sharedEventIDs=%q,%q, want both %s", caller.SharedEventID, owner.SharedEventID, sharedID)
	}
	wantID := &trail.UserIdentity{Type: "AWSAccount", PrincipalID: alice.PrincipalID, AccountID: "111122223333"}
	if diff := cmp.Diff(wantID, owner.UserIdentity); diff != "" {
		t.Errorf("the owner's copy shows the caller as (-want +got):\n%s", diff)
	}
	if caller.UserIdentity.ARN != alice.ARN || caller.UserIdentity.AccessKeyID != alice.AccessKeyID {
		t.Errorf("the caller's copy shows %+v, want alice in full", caller.UserIdentity)
	}
	same := *owner
	same.EventID, same.RecipientAccountID, same.UserIdentity = caller.EventID, caller.RecipientAccountID, caller.UserIdentity
	if diff := cmp.Diff(decoded(t, caller), decoded(t, &same)); diff != "" {
		t.Errorf("copies differ beyond eventID, recipientAccountId and userIdentity:\n%s", diff)
	}

	var got []byte
	for _, e := range evs {
		b := mustMarshal(t, e)
		checkKeyOrder(t, b)
		got = append(append(got, b...), '\n')
	}
	golden := filepath.Join("testdata", "AssumeRole-cross-account.golden.jsonl")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("records differ from %s:\n got %s\nwant %s", golden, got, want)
	}
}
