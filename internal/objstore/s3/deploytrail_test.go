package s3_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/objstore/objstoretest"
	"github.com/deploytrail/deploytrail/internal/objstore/s3"
)

// TestBucket_Deploytrail runs the contract suite a third way: this
// package's S3 client against deploytrail's own S3 API (an in-process
// server over its directory store), signed with the root's keys. It is an
// external test package because apptest imports app, which imports this
// package.
func TestBucket_Deploytrail(t *testing.T) {
	srv := apptest.Start(t)
	store, err := s3.New(s3.Config{Endpoint: srv.URL, Region: "us-east-1",
		AccessKeyID: srv.Root.AccessKeyID, SecretAccessKey: srv.Root.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	objstoretest.Run(t, func(t *testing.T) objstore.Bucket {
		b, err := store.Bucket(fmt.Sprintf("dt-contract-%d", n.Add(1)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}
