package s3api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/deploytrail/deploytrail/internal/checksum"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// defaultContentType is what S3 reports for an object stored without one.
const defaultContentType = "binary/octet-stream"

// PutObject: the body is staged (streamed to a file nobody sees, or
// buffered for a bucket that does not stream) and verified while it is
// read; Commit makes it visible.
func (s *Service) putObject(ctx context.Context, req *Request) (*Response, error) {
	t := req.Target
	opts, err := s.writeOptions(ctx, req)
	if err != nil {
		return nil, err
	}
	want, err := checksum.FromHeaders(req.HTTP.Header)
	if err != nil {
		return nil, checksumError(err)
	}
	b, err := s.existingBucket(ctx, t.Bucket)
	if err != nil {
		return nil, err
	}
	st, err := s.stage(ctx, b, t.Bucket, t.Key, checksum.NewReader(req.Body, want), req.Size, opts, req.Reserve)
	if err != nil {
		return nil, checksumError(err)
	}
	h := http.Header{"Etag": {st.info.ETag}}
	setEncryptionHeaders(h, opts.Encryption)
	setChecksumHeader(h, req, want)
	resp := &Response{Status: http.StatusOK, Header: h, Commit: st.commit, Abort: st.abort, RequestParameters: baseParams(req),
		AdditionalEventData: map[string]any{"bytesTransferredIn": st.info.Size}}
	return resp, nil
}

// writeOptions are the properties of the object req writes (PutObject,
// CreateMultipartUpload): its headers', and the encryption the request
// or the bucket's default asks for; checked as the store will.
func (s *Service) writeOptions(ctx context.Context, req *Request) (objstore.PutOptions, error) {
	opts := putOptions(req.HTTP.Header)
	enc, err := s.objectEncryption(ctx, req, req.Target.Bucket)
	if err != nil {
		return opts, err
	}
	opts.Encryption = enc
	_, err = objstore.NormalizePut(req.Target.Key, opts)
	return opts, storeError(err)
}

// putOptions reads the object's properties other than its encryption
// from the request headers.
func putOptions(h http.Header) objstore.PutOptions {
	opts := objstore.PutOptions{ContentType: h.Get("Content-Type"), ContentEncoding: contentEncoding(h)}
	for name, v := range h {
		if k, ok := strings.CutPrefix(strings.ToLower(name), "x-amz-meta-"); ok && len(v) > 0 {
			if opts.Metadata == nil {
				opts.Metadata = map[string]string{}
			}
			opts.Metadata[k] = strings.Join(v, ",")
		}
	}
	return opts
}

// contentEncoding is the object's Content-Encoding: the header without
// the aws-chunked transfer coding, which is not the object's.
func contentEncoding(h http.Header) string {
	var out []string
	for part := range strings.SplitSeq(h.Get("Content-Encoding"), ",") {
		if p := strings.TrimSpace(part); p != "" && p != "aws-chunked" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ",")
}

// staged is an object written but not visible yet.
type staged struct {
	info   *objstore.ObjectInfo
	commit func(ctx context.Context) error
	abort  func()
}

// stage writes body (size bytes, -1 unknown) so that nobody sees it until
// commit: through Streamer.Stage when the bucket streams, else buffered
// in memory (at most MaxBufferedObject, charged to reserve) for a Put at
// commit. The bucket's lock is held shared from here to commit or abort,
// so that DeleteBucket never removes a bucket a write is landing in.
func (s *Service) stage(ctx context.Context, b objstore.Bucket, bucket, key string, body io.Reader, size int64,
	opts objstore.PutOptions, reserve func(int64) (func(), bool)) (*staged, error) {
	release := s.locks.hold(bucket, false)
	var st *staged
	var err error
	if sb, ok := b.(objstore.Streamer); ok {
		st, err = streamStage(ctx, sb, key, body, size, opts)
	} else {
		st, err = s.bufferStage(ctx, b, key, body, size, opts, reserve)
	}
	if err != nil {
		release()
		return nil, err
	}
	return lockedUntilDone(release, st), nil
}

// lockedUntilDone makes st release the bucket's lock (release) once it
// is committed or aborted.
func lockedUntilDone(release func(), st *staged) *staged {
	commit, abort := st.commit, st.abort
	release = sync.OnceFunc(release)
	st.commit = func(ctx context.Context) error {
		defer release()
		return commit(ctx)
	}
	st.abort = func() {
		abort() // after a commit whose transaction failed, Stage's Abort does nothing
		release()
	}
	return st
}

func streamStage(ctx context.Context, sb objstore.Streamer, key string, body io.Reader, size int64, opts objstore.PutOptions) (*staged, error) {
	obj, err := sb.Stage(ctx, key, body, size, opts)
	if err != nil {
		return nil, storeError(err)
	}
	return &staged{info: obj.Info(), commit: obj.Commit, abort: func() { obj.Abort() }}, nil
}

func (s *Service) bufferStage(ctx context.Context, b objstore.Bucket, key string, body io.Reader, size int64,
	opts objstore.PutOptions, reserve func(int64) (func(), bool)) (*staged, error) {
	limit := s.maxBuffered()
	if size > limit {
		return nil, entityTooLarge(limit)
	}
	want := size
	if want < 0 {
		want = limit
	}
	free := func() {}
	if reserve != nil {
		r, ok := reserve(want)
		if !ok {
			return nil, Errorf(CodeSlowDown, "Please reduce your request rate.")
		}
		free = sync.OnceFunc(r) // both commit and abort may run it
	}
	data, err := io.ReadAll(io.LimitReader(body, want+1))
	if err == nil && int64(len(data)) > limit {
		err = entityTooLarge(limit)
	} else if err == nil && size >= 0 && int64(len(data)) != size {
		err = storeError(objstore.ErrIncompleteBody)
	}
	if err != nil {
		free()
		return nil, bodyError(err)
	}
	info := &objstore.ObjectInfo{Key: key, Size: int64(len(data)), ETag: objstore.ETagOf(data)}
	return &staged{info: info, abort: free, commit: func(ctx context.Context) error {
		defer free()
		return storeError(b.Put(ctx, key, data, opts))
	}}, nil
}

func entityTooLarge(limit int64) error {
	return Errorf(CodeEntityTooLarge, "Your proposed upload exceeds the maximum allowed size (%d bytes for this bucket).", limit)
}

// bodyError is a failed body read as the client sees it: a verification
// failure as itself, a body cut short as IncompleteBody.
func bodyError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return storeError(objstore.ErrIncompleteBody)
	}
	return err
}

// storeError turns the object store's errors into S3's.
func storeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, objstore.ErrNoBucket):
		return noSuchBucket()
	case errors.Is(err, objstore.ErrNotFound):
		return noSuchKey()
	case errors.Is(err, objstore.ErrInvalidKey):
		// The directory store cannot hold both "a" and "a/b", say.
		why := strings.TrimPrefix(err.Error(), objstore.ErrInvalidKey.Error())
		return invalidArgument("The object key is not supported by deploytrail's buckets:%s", cut(why))
	case errors.Is(err, objstore.ErrInvalidOptions):
		return invalidArgument("%s", cut(strings.TrimPrefix(err.Error(), objstore.ErrInvalidOptions.Error()+": ")))
	case errors.Is(err, objstore.ErrIncompleteBody):
		return Errorf(CodeIncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	case errors.Is(err, objstore.ErrEntityTooLarge):
		return Errorf(CodeEntityTooLarge, "Your proposed upload exceeds the maximum allowed size")
	case errors.Is(err, objstore.ErrNoSuchUpload):
		return Errorf(CodeNoSuchUpload, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
	case errors.Is(err, objstore.ErrInvalidPart):
		return Errorf(CodeInvalidPart, "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
	case errors.Is(err, objstore.ErrInvalidPartOrder):
		return Errorf(CodeInvalidPartOrder, "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
	case errors.Is(err, objstore.ErrEntityTooSmall):
		return Errorf(CodeEntityTooSmall, "Your proposed upload is smaller than the minimum allowed object size.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(CodeIncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	}
	return err
}

// GetObject and HeadObject: conditional headers, a single Range, the
// response-* overrides.
func (s *Service) getObject(ctx context.Context, req *Request) (*Response, error) {
	t, q := req.Target, req.HTTP.URL.Query()
	if v := q.Get("versionId"); q.Has("versionId") && v != "null" {
		return nil, Errorf(CodeNoSuchVersion, "The specified version does not exist.")
	}
	b, err := s.existingBucket(ctx, t.Bucket)
	if err != nil {
		return nil, err
	}
	for range maxOpenAttempts {
		resp, err := s.getObjectOnce(ctx, req, b)
		if !errors.Is(err, errObjectChanged) {
			return resp, err
		}
	}
	return nil, Errorf(CodeSlowDown, "Please reduce your request rate.")
}

// getObjectOnce answers GetObject or HeadObject from the object as Head
// finds it; errObjectChanged when it was replaced before it was opened.
func (s *Service) getObjectOnce(ctx context.Context, req *Request, b objstore.Bucket) (*Response, error) {
	t, q := req.Target, req.HTTP.URL.Query()
	info, err := b.Head(ctx, t.Key)
	if err != nil {
		return nil, storeError(err)
	}
	if err := checkConditions(req.HTTP.Header, getConditions, info, false); err != nil {
		return nil, err
	}
	rng, partial, err := parseRange(req.HTTP.Header.Get("Range"), info.Size)
	if err != nil {
		return nil, err
	}
	if !partial {
		rng = byteRange{off: 0, n: info.Size}
	}
	resp := &Response{Status: http.StatusOK, Header: objectHeaders(info, q), RequestParameters: baseParams(req)}
	if partial {
		resp.Status = http.StatusPartialContent
		resp.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", rng.off, rng.off+rng.n-1, info.Size))
	}
	resp.Header.Set("Content-Length", strconv.FormatInt(rng.n, 10))
	if t.Op == opHeadObject {
		return resp, nil
	}
	if resp.Stream, err = openRange(ctx, b, t.Key, info, rng); err != nil {
		return nil, storeError(err)
	}
	resp.AdditionalEventData = map[string]any{"bytesTransferredOut": rng.n}
	return resp, nil
}

// maxOpenAttempts bounds the retries of a read whose object is replaced
// between its Head and its Open, each time.
const maxOpenAttempts = 3

// errObjectChanged: the object was replaced between Head and Open, so
// the headers already decided (length, ETag, conditions) would not
// describe the bytes; the read starts again.
var errObjectChanged = errors.New("s3api: the object changed while it was opened")

// sameObject reports whether two infos describe one stored object.
func sameObject(a, b *objstore.ObjectInfo) bool {
	return a.ETag == b.ETag && a.Size == b.Size && a.Modified.Equal(b.Modified)
}

// openRange reads n bytes of the object key from off, provided it is
// still the object info describes (errObjectChanged otherwise): streamed when
// the bucket streams, else from the whole object.
func openRange(ctx context.Context, b objstore.Bucket, key string, info *objstore.ObjectInfo, r byteRange) (io.ReadCloser, error) {
	if sb, ok := b.(objstore.Streamer); ok {
		opened, rc, err := sb.Open(ctx, key, r.off, r.n)
		if err != nil {
			return nil, err
		}
		if !sameObject(opened, info) {
			rc.Close()
			return nil, errObjectChanged
		}
		return rc, nil
	}
	obj, err := b.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	if !sameObject(&obj.ObjectInfo, info) {
		return nil, errObjectChanged
	}
	body := obj.Body
	if r.off > int64(len(body)) {
		r.off = int64(len(body))
	}
	end := min(r.off+r.n, int64(len(body)))
	return io.NopCloser(bytes.NewReader(body[r.off:end])), nil
}

// responseOverrides are the query parameters that set GetObject's
// response headers.
var responseOverrides = map[string]string{
	"response-content-type": "Content-Type", "response-content-language": "Content-Language",
	"response-expires": "Expires", "response-cache-control": "Cache-Control",
	"response-content-disposition": "Content-Disposition", "response-content-encoding": "Content-Encoding",
}

// objectHeaders are the headers GetObject and HeadObject answer with.
func objectHeaders(info *objstore.ObjectInfo, q map[string][]string) http.Header {
	h := http.Header{}
	ct := info.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	h.Set("Content-Type", ct)
	if info.ContentEncoding != "" {
		h.Set("Content-Encoding", info.ContentEncoding)
	}
	if info.ETag != "" {
		h.Set("Etag", info.ETag)
	}
	h.Set("Last-Modified", info.Modified.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	if info.Encryption.Mode != "" {
		// A KMS trail's log files name their key, as S3 answers.
		setEncryptionHeaders(h, info.Encryption)
	}
	for k, v := range info.Metadata {
		h["X-Amz-Meta-"+k] = []string{v}
	}
	for param, header := range responseOverrides {
		if v, ok := q[param]; ok && len(v) > 0 {
			h.Set(header, v[0])
		}
	}
	return h
}

// DeleteObject: removing a missing object succeeds, as in S3.
func (s *Service) deleteObject(ctx context.Context, req *Request) (*Response, error) {
	t := req.Target
	if q := req.HTTP.URL.Query(); q.Has("versionId") && q.Get("versionId") != "null" {
		return nil, invalidArgument("Invalid version id specified")
	}
	b, err := s.existingBucket(ctx, t.Bucket)
	if err != nil {
		return nil, err
	}
	resp := &Response{Status: http.StatusNoContent, RequestParameters: baseParams(req)}
	resp.Commit = func(ctx context.Context) error {
		release := s.locks.hold(t.Bucket, false)
		defer release()
		return storeError(b.Delete(ctx, t.Key))
	}
	return resp, nil
}

// CopyObject: the source's bytes staged under the target key, with the
// source's properties (x-amz-metadata-directive COPY, the default) or
// the request's (REPLACE).
func (s *Service) copyObject(ctx context.Context, req *Request) (*Response, error) {
	t, h := req.Target, req.HTTP.Header
	src, err := parseCopySource(h.Get("X-Amz-Copy-Source"))
	if err != nil {
		return nil, err
	}
	srcBucket, err := s.existingBucket(ctx, src.Bucket)
	if err != nil {
		return nil, err
	}
	info, err := srcBucket.Head(ctx, src.Key)
	if err != nil {
		return nil, storeError(err)
	}
	if err := checkConditions(h, copyConditions, info, true); err != nil {
		return nil, err
	}
	opts, err := s.copyOptions(ctx, req, info, src)
	if err != nil {
		return nil, err
	}
	dst, err := s.existingBucket(ctx, t.Bucket)
	if err != nil {
		return nil, err
	}
	body, err := openRange(ctx, srcBucket, src.Key, info, byteRange{off: 0, n: info.Size})
	if errors.Is(err, errObjectChanged) {
		return nil, Errorf(CodeSlowDown, "Please reduce your request rate.") // replaced mid-copy: the client retries
	}
	if err != nil {
		return nil, storeError(err)
	}
	defer body.Close()
	st, err := s.stage(ctx, dst, t.Bucket, t.Key, body, info.Size, opts, req.Reserve)
	if err != nil {
		return nil, err
	}
	out := &copyObjectResult{Xmlns: Namespace, ETag: st.info.ETag, LastModified: xmlTime(s.now())}
	resp := s.xmlResponse(req, marshal(out))
	setEncryptionHeaders(resp.Header, opts.Encryption)
	resp.Commit, resp.Abort = st.commit, st.abort
	resp.RequestParameters["x-amz-copy-source"] = cut(h.Get("X-Amz-Copy-Source"))
	return resp, nil
}

// copyOptions are the copy's properties by the metadata directive, and
// the encryption the request names or else the destination bucket's
// default (never the source's), as S3 does. A copy onto itself must
// change something: its properties (REPLACE) or its encryption.
func (s *Service) copyOptions(ctx context.Context, req *Request, src *objstore.ObjectInfo, from *copySource) (objstore.PutOptions, error) {
	h, to := req.HTTP.Header, req.Target
	var opts objstore.PutOptions
	switch d := h.Get("X-Amz-Metadata-Directive"); d {
	case "", "COPY":
		if from.Bucket == to.Bucket && from.Key == to.Key && h.Get(headerSSE) == "" {
			return opts, Errorf(CodeInvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
		}
		opts = objstore.PutOptions{ContentType: src.ContentType, ContentEncoding: src.ContentEncoding, Metadata: src.Metadata}
	case "REPLACE":
		opts = putOptions(h)
	default:
		return opts, invalidArgument("Unknown metadata directive.")
	}
	enc, err := s.objectEncryption(ctx, req, to.Bucket)
	if err != nil {
		return opts, err
	}
	opts.Encryption = enc
	_, err = objstore.NormalizePut(to.Key, opts)
	return opts, storeError(err)
}
