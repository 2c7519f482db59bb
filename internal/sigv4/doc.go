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
// The package imports nothing from deploytrail, does no I/O and never logs.
// No secret or derived key outlives a call; error messages never contain the
// secret, a derived key or the expected signature.
package sigv4
