package s3api

import (
	"context"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// maxListKeys is S3's page size and the most max-keys may ask for.
const maxListKeys = 1000

// pastPrefix sorts after every key that starts with a common prefix: no
// byte of UTF-8 text is 0xff, so the walk can jump over a prefix's keys.
const pastPrefix = "\xff"

// listQuery is a ListObjects or ListObjectsV2 request.
type listQuery struct {
	prefix, delimiter, after string
	max                      int
	urlEncode                bool
}

// ListObjects and ListObjectsV2: keys and common prefixes in key order.
func (s *Service) listObjects(ctx context.Context, req *Request) (*Response, error) {
	q := req.HTTP.URL.Query()
	lq, err := parseListQuery(q, req.Target.Op == opListObjectsV2)
	if err != nil {
		return nil, err
	}
	b, err := s.existingBucket(ctx, req.Target.Bucket)
	if err != nil {
		return nil, err
	}
	page, err := walk(ctx, b, lq)
	if err != nil {
		return nil, storeError(err)
	}
	out := page.result(req.Target.Bucket, lq, q, req.Target.Op == opListObjectsV2)
	resp := s.xmlResponse(req, marshal(out))
	for _, k := range []string{"prefix", "delimiter", "max-keys", "list-type", "marker", "start-after", "encoding-type"} {
		if q.Has(k) {
			resp.RequestParameters[k] = cut(q.Get(k))
		}
	}
	return resp, nil
}

// parseListQuery reads the query; V2's continuation-token wins over
// start-after, V1's marker is where to start.
func parseListQuery(q url.Values, v2 bool) (*listQuery, error) {
	lq := &listQuery{prefix: q.Get("prefix"), delimiter: q.Get("delimiter"), max: maxListKeys}
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, invalidArgument("Provided max-keys not an integer or within integer range")
		}
		lq.max = min(n, maxListKeys)
	}
	switch e := q.Get("encoding-type"); e {
	case "":
	case "url":
		lq.urlEncode = true
	default:
		return nil, invalidArgument("Invalid Encoding Method specified in Request")
	}
	if !v2 {
		lq.after = q.Get("marker")
		return lq, nil
	}
	lq.after = q.Get("start-after")
	if q.Has("continuation-token") {
		raw, err := base64.RawURLEncoding.DecodeString(q.Get("continuation-token"))
		if err != nil || len(raw) == 0 {
			return nil, invalidArgument("The continuation token provided is incorrect")
		}
		lq.after = string(raw)
	}
	return lq, nil
}

// listPage is one page of a listing.
type listPage struct {
	objects   []objstore.ObjectInfo
	prefixes  []string
	truncated bool
	last      string // the last key or prefix returned
}

// walk lists up to lq.max keys and common prefixes after lq.after. Each
// store page either yields a new entry or ends the walk, and the keys
// under a common prefix are jumped over, so a page costs at most max+1
// store reads however the keys are laid out.
func walk(ctx context.Context, b objstore.Bucket, lq *listQuery) (*listPage, error) {
	p := &listPage{}
	after := lq.after
	if lq.delimiter != "" && strings.HasSuffix(after, lq.delimiter) && strings.HasPrefix(after, lq.prefix) {
		after += pastPrefix // resuming after a common prefix: skip its keys
	}
	for {
		batch, err := b.List(ctx, lq.prefix, after, maxListKeys)
		if err != nil {
			return nil, err
		}
		broke := false
		for _, o := range batch {
			after = o.Key
			cp := commonPrefixOf(o.Key, lq)
			if cp != "" && len(p.prefixes) > 0 && p.prefixes[len(p.prefixes)-1] == cp {
				continue
			}
			if p.count() == lq.max {
				p.truncated = true
				return p, nil
			}
			if cp != "" {
				p.prefixes, p.last = append(p.prefixes, cp), cp
				after, broke = cp+pastPrefix, true
				break // jump over the prefix's keys with a fresh read
			}
			p.objects, p.last = append(p.objects, o), o.Key
		}
		if !broke && len(batch) < maxListKeys {
			return p, nil
		}
	}
}

func (p *listPage) count() int { return len(p.objects) + len(p.prefixes) }

// commonPrefixOf is the common prefix key rolls up into, or "".
func commonPrefixOf(key string, lq *listQuery) string {
	if lq.delimiter == "" {
		return ""
	}
	rest := key[len(lq.prefix):]
	i := strings.Index(rest, lq.delimiter)
	if i < 0 {
		return ""
	}
	return lq.prefix + rest[:i+len(lq.delimiter)]
}

// result renders the page as ListBucketResult.
func (p *listPage) result(bucket string, lq *listQuery, q url.Values, v2 bool) *listBucketResult {
	enc := func(s string) string {
		if lq.urlEncode {
			return url.QueryEscape(s)
		}
		return s
	}
	out := &listBucketResult{Xmlns: Namespace, Name: bucket, Prefix: enc(lq.prefix), MaxKeys: lq.max,
		Delimiter: enc(lq.delimiter), IsTruncated: p.truncated}
	if lq.urlEncode {
		out.EncodingType = "url"
	}
	for _, o := range p.objects {
		out.Contents = append(out.Contents, objectItem{Key: enc(o.Key), LastModified: xmlTime(o.Modified),
			ETag: o.ETag, Size: o.Size, StorageClass: "STANDARD"})
	}
	for _, cp := range p.prefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: enc(cp)})
	}
	if v2 {
		n := p.count()
		out.KeyCount = &n
		out.StartAfter = enc(q.Get("start-after"))
		out.ContinuationToken = q.Get("continuation-token")
		if p.truncated {
			out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(p.last))
		}
		return out
	}
	marker := enc(q.Get("marker"))
	out.Marker = &marker
	if p.truncated && lq.delimiter != "" {
		out.NextMarker = enc(p.last)
	}
	return out
}
