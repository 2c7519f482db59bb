package s3api

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/deploytrail/deploytrail/internal/bucketpolicy"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// Server-side encryption: every object of the directory buckets is
// sealed with the server's master key; the mode and KMS key asked for
// (by the request's headers, else the bucket's default encryption) are
// recorded and reported as S3 would, though there is no KMS here.

const (
	headerSSE       = "X-Amz-Server-Side-Encryption"
	headerSSEKMSKey = "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"
)

// requestedEncryption reads the request's SSE headers, the key normalized
// to its ARN in the caller's account; named is false when they name none.
func requestedEncryption(h http.Header, region, account string) (enc objstore.Encryption, named bool, err error) {
	key := h.Get(headerSSEKMSKey)
	switch sse := h.Get(headerSSE); sse {
	case "":
		if key != "" {
			return enc, false, kmsHeaderWithoutMode()
		}
		return enc, false, nil
	case string(objstore.SSES3):
		if key != "" {
			return enc, false, kmsHeaderWithoutMode()
		}
		return objstore.Encryption{Mode: objstore.SSES3}, true, nil
	case string(objstore.SSEKMS):
		enc, err := kmsEncryption(region, account, key)
		return enc, true, err
	}
	return enc, false, invalidArgument("The encryption method specified is not supported")
}

func kmsHeaderWithoutMode() error {
	return invalidArgument("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms")
}

// kmsEncryption is SSE-KMS with key (S3's default aws/s3 key when "").
func kmsEncryption(region, account, key string) (objstore.Encryption, error) {
	if key == "" {
		return objstore.Encryption{Mode: objstore.SSEKMS, KMSKeyID: objstore.DefaultS3KMSKeyARN(region, account)}, nil
	}
	arn, ok := objstore.KMSKeyARN(region, account, key)
	if !ok && !strings.HasPrefix(key, "arn:") && otherKeyName.MatchString(key) {
		// S3 would ask KMS for a key of another form (a custom key store's
		// name, MinIO's KES key names); with no KMS to ask, it is named as
		// a key of the account, as a key id would be.
		arn, ok = "arn:aws:kms:"+region+":"+account+":key/"+key, true
	}
	if !ok {
		return objstore.Encryption{}, invalidArgument("Invalid arn %s", cut(key))
	}
	return objstore.Encryption{Mode: objstore.SSEKMS, KMSKeyID: arn}, nil
}

// otherKeyName bounds a key name that is neither a key id nor an alias.
var otherKeyName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// objectEncryption is the encryption an object written to bucket by req
// gets: what the request names, else the bucket's default, whose KMS key
// is resolved in the bucket owner's account.
func (s *Service) objectEncryption(ctx context.Context, req *Request, bucket string) (objstore.Encryption, error) {
	enc, named, err := requestedEncryption(req.HTTP.Header, s.region(), callerAccount(req))
	if err != nil || named {
		return enc, err
	}
	if s.Policies == nil {
		// No bucket records (a Service serving buckets alone): every
		// bucket has S3's default.
		return objstore.Encryption{Mode: objstore.SSES3}, nil
	}
	// The record as stored is one read on every PUT; the owner's defaults
	// are looked up only for a KMS key to resolve.
	rec, err := s.Policies.Stored(ctx, bucket)
	if errors.Is(err, bucketpolicy.ErrNotFound) || err == nil && rec.Encryption.Mode != objstore.SSEKMS {
		return objstore.Encryption{Mode: objstore.SSES3}, nil
	}
	if err == nil && rec.Owner == "" {
		rec, err = s.Policies.Effective(ctx, bucket)
	}
	if err != nil {
		return enc, err
	}
	return kmsEncryption(s.region(), rec.Owner, rec.Encryption.KMSKeyID)
}

// callerAccount is the account req acts in; "" when it has no call (a
// request made in-process, never one the server routes).
func callerAccount(req *Request) string {
	if req.Call == nil {
		return ""
	}
	return req.Call.Account()
}

// setEncryptionHeaders answers with the encryption an object got.
func setEncryptionHeaders(h http.Header, enc objstore.Encryption) {
	mode := enc.Mode
	if mode == objstore.SSEDefault {
		mode = objstore.SSES3
	}
	h.Set(headerSSE, string(mode))
	if mode == objstore.SSEKMS && enc.KMSKeyID != "" {
		h.Set(headerSSEKMSKey, enc.KMSKeyID)
	}
}
