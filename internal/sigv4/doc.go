// Package sigv4 verifies and creates AWS Signature Version 4 (SigV4)
// signatures the way AWS services and the AWS SDKs compute them.
//
// # Verifying
//
// A server calls [Parse] to read the signature from the Authorization header
// or from a presigned query string, looks up the secret key for
// [Signature.AccessKeyID] (and checks [Signature.Scope] against the service
// it serves), then calls [Signature.Verify] with the request body. Every
// failure is an *[Error] whose [Kind] the server maps to an AWS error code;
// its Message is safe to return to the client.
//
// # S3 bodies
//
// S3 requests are verified before their body is read: [Signature.VerifyStream]
// signs with the payload hash the client claims in x-amz-content-sha256 and
// returns a [Body] that checks the claim as the body streams. A hex SHA-256
// is compared at EOF. The three STREAMING-* values mean the body is
// aws-chunked: Body decodes it, checks each chunk's signature (chained from
// the request's), x-amz-decoded-content-length, and the trailer's signature
// and x-amz-checksum-* value. Chunk data is never buffered, so a chunk may be
// as large as the body (aws-sdk-go-v2 sends a body of known length as a
// single chunk); header lines are bounded at 4 KiB and the trailer at 10
// lines and 16 KiB. Bytes are unverified until Body returns io.EOF.
//
// The S3 layer maps the kinds to S3's codes (all HTTP 400 but
// SignatureDoesNotMatch, 403): KindMismatch to SignatureDoesNotMatch (the
// request's, a chunk's or the trailer's signature), KindPayloadMismatch to
// XAmzContentSHA256Mismatch, KindIncompleteBody and KindMalformedChunk to
// IncompleteBody (S3 documents no code for broken framing; versitygw uses
// IncompleteBody too), KindInvalidChunkSize to InvalidChunkSizeError,
// KindMalformedTrailer to MalformedTrailerError, KindInvalidRequest to
// InvalidRequest. A trailer checksum that does not match, or is not the
// base64 of a digest, is the *checksum.Error S3 answers (BadDigest,
// InvalidRequest).
//
// # Canonicalization
//
// Only the headers named in SignedHeaders are canonicalized, so requests from
// aws-sdk-go-v2 (which signs most headers) and from botocore (which signs
// content-type, host and x-amz-*) both verify. The canonical URI is the path
// exactly as the client sent it, percent-encoded once more, which is what
// aws-sdk-go-v2 does for non-S3 services. botocore additionally removes dot
// segments and empty segments before encoding; when that normalization
// changes the path, Verify also accepts a signature over the normalized form.
//
// # Rules
//
// The package imports only internal/checksum from deploytrail, does no I/O
// beyond reading the body it is given, and never logs.
// No secret or derived key outlives a call; error messages never contain the
// secret, a derived key or the expected signature.
package sigv4
