package s3api

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/deploytrail/deploytrail/internal/checksum"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// Multipart upload over objstore.Multipart: parts are stored durably as
// they arrive (UploadPart streams through the same verifier as
// PutObject); CompleteMultipartUpload stages the joined object and
// commits it with its event, like PutObject. UploadPartCopy and a
// GetObject of one part (?partNumber without uploadId) are
// NotImplemented.

var (
	opCreateMultipartUpload   = &Op{Name: "CreateMultipartUpload", Action: "s3:PutObject", Data: true, On: OnObject}
	opUploadPart              = &Op{Name: "UploadPart", Action: "s3:PutObject", Data: true, On: OnObject}
	opCompleteMultipartUpload = &Op{Name: "CompleteMultipartUpload", Action: "s3:PutObject", Data: true, On: OnObject}
	opAbortMultipartUpload    = &Op{Name: "AbortMultipartUpload", Action: "s3:AbortMultipartUpload", Data: true, On: OnObject}
	opListParts               = &Op{Name: "ListParts", Action: "s3:ListMultipartUploadParts", ReadOnly: true, Data: true, On: OnObject}
	// ListMultipartUploads acts on the bucket, recorded like ListObjects.
	opListMultipartUploads = &Op{Name: "ListMultipartUploads", Action: "s3:ListBucketMultipartUploads", ReadOnly: true, On: OnBucket}
)

// multipartOp routes a request naming ?uploads or ?uploadId; ok is false
// for any other request.
func multipartOp(r *http.Request, t *Target, q url.Values) (op *Op, ok bool, err error) {
	if !q.Has("uploads") && !q.Has("uploadId") {
		return nil, false, nil
	}
	if t.Key == "" {
		if r.Method == http.MethodGet && q.Has("uploads") {
			return opListMultipartUploads, true, nil
		}
		return nil, true, methodNotAllowed(r.Method)
	}
	switch {
	case r.Method == http.MethodPost && q.Has("uploads"):
		return opCreateMultipartUpload, true, nil
	case !q.Has("uploadId"):
		return nil, true, methodNotAllowed(r.Method)
	case r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
		return nil, true, notImplemented("UploadPartCopy")
	case r.Method == http.MethodPut:
		return opUploadPart, true, nil
	case r.Method == http.MethodPost:
		return opCompleteMultipartUpload, true, nil
	case r.Method == http.MethodDelete:
		return opAbortMultipartUpload, true, nil
	case r.Method == http.MethodGet:
		return opListParts, true, nil
	}
	return nil, true, methodNotAllowed(r.Method)
}

// multipartBucket is the existing bucket, which must keep uploads.
func (s *Service) multipartBucket(ctx context.Context, name string) (objstore.Multipart, error) {
	b, err := s.existingBucket(ctx, name)
	if err != nil {
		return nil, err
	}
	mb, ok := b.(objstore.Multipart)
	if !ok {
		return nil, notImplemented("Multipart upload on this bucket store")
	}
	return mb, nil
}

// uploadParams are the requestParameters of a call on an upload.
func uploadParams(req *Request) map[string]any {
	p := baseParams(req)
	p["uploadId"] = cut(req.HTTP.URL.Query().Get("uploadId"))
	return p
}

// CreateMultipartUpload: the upload exists at once; if its event cannot
// be recorded, Abort removes it.
func (s *Service) createMultipartUpload(ctx context.Context, req *Request) (*Response, error) {
	t := req.Target
	opts, err := s.writeOptions(ctx, req)
	if err != nil {
		return nil, err
	}
	mb, err := s.multipartBucket(ctx, t.Bucket)
	if err != nil {
		return nil, err
	}
	release := s.locks.hold(t.Bucket, false)
	defer release()
	id, err := mb.CreateUpload(ctx, t.Key, opts)
	if err != nil {
		return nil, storeError(err)
	}
	resp := s.xmlResponse(req, marshal(&initiateResult{Xmlns: Namespace, Bucket: t.Bucket, Key: t.Key, UploadID: id}))
	setEncryptionHeaders(resp.Header, opts.Encryption)
	resp.RequestParameters["uploads"] = ""
	resp.ResponseElements = map[string]any{"bucket": t.Bucket, "key": t.Key, "uploadId": id}
	resp.Commit = func(context.Context) error { return nil }
	resp.Abort = func() { mb.AbortUpload(context.WithoutCancel(ctx), t.Key, id) }
	return resp, nil
}

// UploadPart: the part is verified as it streams and stored durably.
func (s *Service) uploadPart(ctx context.Context, req *Request) (*Response, error) {
	t, q := req.Target, req.HTTP.URL.Query()
	n, err := strconv.Atoi(q.Get("partNumber"))
	if err != nil || n < 1 || n > objstore.MaxParts {
		return nil, invalidArgument("Part number must be an integer between 1 and 10000, inclusive")
	}
	if req.Size > objstore.MaxPartSize {
		return nil, entityTooLarge(objstore.MaxPartSize)
	}
	if req.Size < 0 {
		return nil, Errorf(CodeMissingContentLength, "You must provide the Content-Length HTTP header.")
	}
	want, err := checksum.FromHeaders(req.HTTP.Header)
	if err != nil {
		return nil, checksumError(err)
	}
	mb, err := s.multipartBucket(ctx, t.Bucket)
	if err != nil {
		return nil, err
	}
	release := s.locks.hold(t.Bucket, false)
	defer release()
	part, err := mb.UploadPart(ctx, t.Key, q.Get("uploadId"), n, checksum.NewReader(req.Body, want), req.Size)
	if err != nil {
		return nil, checksumError(storeError(bodyError(err)))
	}
	h := http.Header{"Etag": {part.ETag}, "X-Amz-Server-Side-Encryption": {string(objstore.SSES3)}}
	setChecksumHeader(h, req, want)
	params := uploadParams(req)
	params["partNumber"] = strconv.Itoa(n)
	return &Response{Status: http.StatusOK, Header: h, RequestParameters: params,
		Commit:              func(context.Context) error { return nil },
		AdditionalEventData: map[string]any{"bytesTransferredIn": part.Size}}, nil
}

// CompleteMultipartUpload: the listed parts are joined into a staged
// object, committed with the call's event like a PutObject.
func (s *Service) completeMultipartUpload(ctx context.Context, req *Request) (*Response, error) {
	t := req.Target
	parts, err := readPartList(req)
	if err != nil {
		return nil, err
	}
	mb, err := s.multipartBucket(ctx, t.Bucket)
	if err != nil {
		return nil, err
	}
	release := s.locks.hold(t.Bucket, false)
	obj, err := mb.Complete(ctx, t.Key, req.HTTP.URL.Query().Get("uploadId"), parts)
	if err != nil {
		release()
		return nil, storeError(err)
	}
	st := lockedUntilDone(release, &staged{info: obj.Info(), commit: obj.Commit, abort: func() { obj.Abort() }})
	body := marshal(&completeResult{Xmlns: Namespace, Location: "/" + t.Bucket + "/" + t.Key, Bucket: t.Bucket, Key: t.Key, ETag: st.info.ETag})
	resp := s.xmlResponse(req, body)
	setEncryptionHeaders(resp.Header, st.info.Encryption)
	resp.RequestParameters = uploadParams(req)
	resp.Commit, resp.Abort = st.commit, st.abort
	return resp, nil
}

// readPartList reads CompleteMultipartUpload's XML list of parts.
func readPartList(req *Request) ([]objstore.CompletedPart, error) {
	want, err := checksum.FromHeaders(req.HTTP.Header)
	if err != nil {
		return nil, checksumError(err)
	}
	body, err := readSmall(checksum.NewReader(req.Body, want), MaxXMLBytes)
	if errors.Is(err, errTooLarge) {
		return nil, malformedXML()
	}
	if err != nil {
		return nil, checksumError(bodyError(err))
	}
	var in completeRequest
	if err := decodeXML(body, &in); err != nil {
		return nil, err
	}
	if len(in.Parts) == 0 || len(in.Parts) > objstore.MaxParts {
		return nil, malformedXML()
	}
	parts := make([]objstore.CompletedPart, len(in.Parts))
	for i, p := range in.Parts {
		parts[i] = objstore.CompletedPart{Number: p.PartNumber, ETag: p.ETag}
	}
	return parts, nil
}

// AbortMultipartUpload: the upload is removed when the call's event is
// recorded.
func (s *Service) abortMultipartUpload(ctx context.Context, req *Request) (*Response, error) {
	t, id := req.Target, req.HTTP.URL.Query().Get("uploadId")
	mb, err := s.multipartBucket(ctx, t.Bucket)
	if err != nil {
		return nil, err
	}
	if _, err := mb.ListParts(ctx, t.Key, id, 0, 1); err != nil {
		return nil, storeError(err)
	}
	resp := &Response{Status: http.StatusNoContent, RequestParameters: uploadParams(req)}
	resp.Commit = func(ctx context.Context) error { return storeError(mb.AbortUpload(ctx, t.Key, id)) }
	return resp, nil
}

// ListParts: part-number-marker and max-parts (at most 1000).
func (s *Service) listParts(ctx context.Context, req *Request) (*Response, error) {
	t, q := req.Target, req.HTTP.URL.Query()
	after, err := queryInt(q, "part-number-marker", 0, 0, objstore.MaxParts)
	if err != nil {
		return nil, err
	}
	max, err := queryInt(q, "max-parts", objstore.DefaultPartMax, 0, objstore.DefaultPartMax)
	if err != nil {
		return nil, err
	}
	mb, err := s.multipartBucket(ctx, t.Bucket)
	if err != nil {
		return nil, err
	}
	parts, err := mb.ListParts(ctx, t.Key, q.Get("uploadId"), after, max+1)
	if err != nil {
		return nil, storeError(err)
	}
	out := &listPartsResult{Xmlns: Namespace, Bucket: t.Bucket, Key: t.Key, UploadID: q.Get("uploadId"),
		PartNumberMarker: after, MaxParts: max, StorageClass: "STANDARD"}
	if len(parts) > max {
		parts, out.IsTruncated = parts[:max], true
	}
	for _, p := range parts {
		out.Parts = append(out.Parts, partItem{PartNumber: p.Number, LastModified: xmlTime(p.Modified), ETag: p.ETag, Size: p.Size})
		out.NextPartNumberMarker = p.Number
	}
	resp := s.xmlResponse(req, marshal(out))
	resp.RequestParameters = uploadParams(req)
	return resp, nil
}

// ListMultipartUploads: prefix, key-marker, upload-id-marker and
// max-uploads (at most 1000); a delimiter is not served.
func (s *Service) listMultipartUploads(ctx context.Context, req *Request) (*Response, error) {
	t, q := req.Target, req.HTTP.URL.Query()
	if q.Get("delimiter") != "" {
		return nil, notImplemented("ListMultipartUploads with a delimiter")
	}
	max, err := queryInt(q, "max-uploads", objstore.DefaultListMax, 0, objstore.DefaultListMax)
	if err != nil {
		return nil, err
	}
	mb, err := s.multipartBucket(ctx, t.Bucket)
	if err != nil {
		return nil, err
	}
	ups, err := mb.ListUploads(ctx, q.Get("prefix"), q.Get("key-marker"), q.Get("upload-id-marker"), max+1)
	if err != nil {
		return nil, storeError(err)
	}
	out := &listUploadsResult{Xmlns: Namespace, Bucket: t.Bucket, Prefix: q.Get("prefix"), KeyMarker: q.Get("key-marker"),
		UploadIDMarker: q.Get("upload-id-marker"), MaxUploads: max}
	if len(ups) > max {
		ups, out.IsTruncated = ups[:max], true
	}
	owner := &Owner{ID: CanonicalUserID(req.owner)}
	for _, u := range ups {
		out.Uploads = append(out.Uploads, uploadItem{Key: u.Key, UploadID: u.UploadID, Initiator: owner, Owner: owner,
			StorageClass: "STANDARD", Initiated: xmlTime(u.Initiated)})
		out.NextKeyMarker, out.NextUploadIDMarker = u.Key, u.UploadID
	}
	resp := s.xmlResponse(req, marshal(out))
	resp.RequestParameters["uploads"] = ""
	return resp, nil
}

// queryInt reads a numeric query parameter in [lo, hi]; absent is def.
func queryInt(q url.Values, name string, def, lo, hi int) (int, error) {
	if !q.Has(name) {
		return def, nil
	}
	n, err := strconv.Atoi(q.Get(name))
	if err != nil || n < lo {
		return 0, invalidArgument("Provided %s not an integer or within integer range", name)
	}
	return min(n, hi), nil
}

type initiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

type completeRequest struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber int    `xml:"PartNumber"`
		ETag       string `xml:"ETag"`
	} `xml:"Part"`
}

type completeResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

type listPartsResult struct {
	XMLName              xml.Name   `xml:"ListPartsResult"`
	Xmlns                string     `xml:"xmlns,attr"`
	Bucket               string     `xml:"Bucket"`
	Key                  string     `xml:"Key"`
	UploadID             string     `xml:"UploadId"`
	PartNumberMarker     int        `xml:"PartNumberMarker"`
	NextPartNumberMarker int        `xml:"NextPartNumberMarker"`
	MaxParts             int        `xml:"MaxParts"`
	IsTruncated          bool       `xml:"IsTruncated"`
	StorageClass         string     `xml:"StorageClass"`
	Parts                []partItem `xml:"Part"`
}

type partItem struct {
	PartNumber   int    `xml:"PartNumber"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
}

type listUploadsResult struct {
	XMLName            xml.Name     `xml:"ListMultipartUploadsResult"`
	Xmlns              string       `xml:"xmlns,attr"`
	Bucket             string       `xml:"Bucket"`
	KeyMarker          string       `xml:"KeyMarker"`
	UploadIDMarker     string       `xml:"UploadIdMarker"`
	NextKeyMarker      string       `xml:"NextKeyMarker"`
	NextUploadIDMarker string       `xml:"NextUploadIdMarker"`
	Prefix             string       `xml:"Prefix"`
	MaxUploads         int          `xml:"MaxUploads"`
	IsTruncated        bool         `xml:"IsTruncated"`
	Uploads            []uploadItem `xml:"Upload"`
}

type uploadItem struct {
	Key          string `xml:"Key"`
	UploadID     string `xml:"UploadId"`
	Initiator    *Owner `xml:"Initiator"`
	Owner        *Owner `xml:"Owner"`
	StorageClass string `xml:"StorageClass"`
	Initiated    string `xml:"Initiated"`
}
