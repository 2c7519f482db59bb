package delivery

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// CloudTrail's writes of log and digest files are S3 PutObject calls: a
// trail that selects data events on the bucket logs them, recorded as AWS
// records a service's call (spec §3.2): userIdentity AWSService invokedBy
// cloudtrail.amazonaws.com, in the bucket owner's account. The record is
// stored in the transaction that finishes the delivery (or marks the
// digest written), so a crash records it with the file exactly once; it
// is delivered in a later file, never in the one it describes. Each file
// makes at most one record, so a trail that logs its own bucket writes one
// more small file per interval, as in AWS, and never more.

// cloudTrailPrincipal is CloudTrail's service principal, its source
// address and user agent in the records of its calls.
const cloudTrailPrincipal = "cloudtrail.amazonaws.com"

// BucketOwners tells which account owns a bucket.
type BucketOwners interface {
	Owner(ctx context.Context, bucket string) (string, error)
}

// putRecord returns the record of CloudTrail's PutObject of key (size
// bytes, encrypted as enc) for the trail whose state key is stateKey, or
// nil when no trail selects it. Without data-event trails it reads
// nothing: the filter's trails are in memory, and the bucket's owner is
// looked up only for an event some trail's selectors choose.
func (d *Deliverer) putRecord(ctx context.Context, stateKey, bucket, key string, size int, enc objstore.Encryption) (*trail.Event, error) {
	if d.DataEvents == nil || d.Owners == nil {
		return nil, nil
	}
	ev := putObjectEvent(trailRegion(stateKey), bucket, key, size, enc, d.Now().UTC())
	if ok, err := d.DataEvents.selectedAnywhere(ctx, ev); err != nil || !ok {
		return nil, err
	}
	owner, err := d.Owners.Owner(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("read the owner of bucket %s: %w", bucket, err)
	}
	ev.RecipientAccountID, ev.Resources[bucketResource].AccountID = owner, owner
	if ok, err := d.DataEvents.Wanted(ctx, ev); err != nil || !ok {
		return nil, err
	}
	return ev, nil
}

// The resources of a PutObject record, in S3's order; only the bucket's
// names its owner.
const (
	objectResource = iota
	bucketResource
)

// putObjectEvent is the data event of CloudTrail's PutObject, as S3
// records it: the object and its bucket as resources, CloudTrail's
// canned ACL and the encryption in the request.
func putObjectEvent(region, bucket, key string, size int, enc objstore.Encryption, at time.Time) *trail.Event {
	readOnly, management := false, false
	params := map[string]any{"bucketName": bucket, "Host": "s3." + region + ".amazonaws.com", "key": key,
		"x-amz-acl": "bucket-owner-full-control"}
	response := map[string]any{}
	if enc.Mode == objstore.SSEKMS {
		params["x-amz-server-side-encryption"], params["x-amz-server-side-encryption-aws-kms-key-id"] = "aws:kms", enc.KMSKeyID
		response["x-amz-server-side-encryption"], response["x-amz-server-side-encryption-aws-kms-key-id"] = "aws:kms", enc.KMSKeyID
	} else {
		params["x-amz-server-side-encryption"], response["x-amz-server-side-encryption"] = "AES256", "AES256"
	}
	return &trail.Event{EventVersion: trail.EventVersion,
		UserIdentity: &trail.UserIdentity{Type: "AWSService", InvokedBy: cloudTrailPrincipal},
		EventTime:    at.Format(time.RFC3339), EventSource: "s3.amazonaws.com", EventName: "PutObject", AWSRegion: region,
		SourceIPAddress: cloudTrailPrincipal, UserAgent: cloudTrailPrincipal, RequestParameters: params, ResponseElements: response,
		AdditionalEventData: map[string]any{"bytesTransferredIn": size, "bytesTransferredOut": 0},
		RequestID:           trail.NewEventID(), EventID: trail.NewEventID(), ReadOnly: &readOnly,
		Resources: []trail.Resource{objectResource: {Type: "AWS::S3::Object", ARN: "arn:aws:s3:::" + bucket + "/" + key},
			bucketResource: {Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + bucket}},
		EventType: trail.EventTypeAPICall, ManagementEvent: &management,
		EventCategory: trail.CategoryData}
}

// trailRegion is the home region in a trail's ARN (or state key, which
// starts with it): CloudTrail writes from there.
func trailRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}
