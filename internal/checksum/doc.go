// Package checksum verifies the integrity headers S3 clients send with an
// object body: Content-MD5 and the x-amz-checksum-* family (CRC32, CRC32C,
// CRC64NVME, SHA1, SHA256), as request headers or as aws-chunked trailers.
//
// [FromHeaders] reads and validates the claimed values before the body is
// read; a [Reader] hashes the body as it streams and, at EOF, fails with an
// *[Error] if a claim does not match. Errors carry S3's error code and
// message, so the S3 layer answers them as they are.
//
// The package imports nothing from deploytrail and does no I/O of its own.
package checksum
