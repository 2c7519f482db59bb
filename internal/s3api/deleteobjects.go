package s3api

import (
	"context"
	"errors"

	"github.com/deploytrail/deploytrail/internal/checksum"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// maxDeleteObjects is S3's limit of keys per DeleteObjects.
const maxDeleteObjects = 1000

// DeleteObjects: up to 1000 keys, the body's integrity declared by
// Content-MD5 or an x-amz-checksum-* header, as S3 requires; each key
// succeeds or fails on its own, and Quiet reports only failures.
func (s *Service) deleteObjects(ctx context.Context, req *Request) (*Response, error) {
	want, err := checksum.FromHeaders(req.HTTP.Header)
	if err != nil {
		return nil, checksumError(err)
	}
	if len(want) == 0 && !declaresTrailerChecksum(req.HTTP.Header) {
		return nil, Errorf(CodeInvalidRequest, "Missing required header for this request: Content-MD5")
	}
	body, err := readSmall(checksum.NewReader(req.Body, want), MaxXMLBytes)
	if errors.Is(err, errTooLarge) {
		return nil, malformedXML()
	}
	if err != nil {
		return nil, checksumError(err)
	}
	var in deleteRequest
	if err := decodeXML(body, &in); err != nil {
		return nil, err
	}
	if len(in.Objects) == 0 || len(in.Objects) > maxDeleteObjects {
		return nil, malformedXML()
	}
	b, err := s.existingBucket(ctx, req.Target.Bucket)
	if err != nil {
		return nil, err
	}
	resp := s.xmlResponse(req, nil)
	resp.RequestParameters["delete"] = ""
	for _, o := range in.Objects {
		resp.ObjectKeys = append(resp.ObjectKeys, o.Key)
	}
	resp.Commit = func(ctx context.Context) error {
		release := s.locks.hold(req.Target.Bucket, false)
		defer release()
		out := &deleteResult{Xmlns: Namespace}
		for _, o := range in.Objects {
			if err := s.deleteOne(ctx, req, b, o); err != nil {
				code, msg, _ := ErrorCode(storeError(err))
				out.Errors = append(out.Errors, deleteFailed{Key: o.Key, Code: code, Message: msg})
			} else if !in.Quiet {
				out.Deleted = append(out.Deleted, deletedItem{Key: o.Key})
			}
		}
		resp.Body = marshal(out)
		return nil
	}
	return resp, nil
}

// deleteOne deletes one key of a DeleteObjects if the caller may delete
// it (s3:DeleteObject on the object, weighed with the bucket policy).
func (s *Service) deleteOne(ctx context.Context, req *Request, b objstore.Bucket, o deleteObject) error {
	if o.VersionID != "" && o.VersionID != "null" {
		return invalidArgument("Invalid version id specified")
	}
	if len(o.Key) > objstore.MaxKeyLen {
		return Errorf(CodeKeyTooLong, "Your key is too long")
	}
	arn := BucketARN(req.Target.Bucket) + "/" + o.Key
	if err := s.Auth.AuthorizeResource(ctx, req.Call, "s3:DeleteObject", arn, req.owner, req.policy); err != nil {
		return err
	}
	return b.Delete(ctx, o.Key)
}
