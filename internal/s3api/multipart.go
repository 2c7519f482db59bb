package s3api

// Multipart upload (CreateMultipartUpload, UploadPart, UploadPartCopy,
// CompleteMultipartUpload, AbortMultipartUpload, ListParts,
// ListMultipartUploads) is routed here by its subresources and answered
// NotImplemented until it is built: its operations go in this file,
// next to the single-part writes they share staging with (objects.go).
// Clients fall back to single-part uploads below their multipart
// threshold (8 MiB for the AWS CLI and the SDKs' upload managers).

// multipartSubresources are the query parameters that name multipart
// operations.
var multipartSubresources = map[string]bool{"uploads": true, "uploadId": true, "partNumber": true}

// multipartOrUnsupported answers a request naming subresource sub.
func multipartOrUnsupported(sub string) error {
	if multipartSubresources[sub] {
		return notImplemented("Multipart upload")
	}
	return notImplemented("The ?" + sub + " subresource")
}
