package apptest_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// TestNodes_PaginationTokens: servers sharing a database sign pagination
// tokens with one key, so a list paged on one goes on on another (behind
// a load balancer the next page may go to any of them).
func TestNodes_PaginationTokens(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := apptest.StartIn(t, dir)
	b := apptest.StartIn(t, dir)
	ia, ib := a.IAM(a.Root), b.IAM(a.Root)
	for _, name := range []string{"ann", "bob", "cat"} {
		noErr(t)(ia.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
	}
	var names []string
	first, err := ia.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(2)})
	fatalIf(t, err)
	for _, u := range first.Users {
		names = append(names, aws.ToString(u.UserName))
	}
	if !first.IsTruncated || first.Marker == nil {
		t.Fatalf("first page %v, want truncated with a marker", names)
	}
	rest, err := ib.ListUsers(ctx, &iam.ListUsersInput{Marker: first.Marker})
	fatalIf(t, err)
	for _, u := range rest.Users {
		names = append(names, aws.ToString(u.UserName))
	}
	if len(names) != 3 || names[0] != "ann" || names[2] != "cat" {
		t.Errorf("users paged over two servers %v, want ann bob cat", names)
	}
}
