package sigv4

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// canonicalRequest joins the six parts of a SigV4 canonical request.
// headers already ends in a newline, which gives the blank line AWS expects.
func canonicalRequest(method, uri, query, headers, signedHeaders, payload string) string {
	if method == "" {
		method = http.MethodGet // net/http clients send GET for an empty Method
	}
	return method + "\n" + uri + "\n" + query + "\n" + headers + "\n" + signedHeaders + "\n" + payload
}

// canonicalHeaders renders "name:value\n" for each signed header in the order
// the client listed them. A listed header that the request lacks means the
// request is not the one that was signed.
func canonicalHeaders(r *http.Request, names []string) (string, error) {
	var b strings.Builder
	for _, name := range names {
		values, ok := headerValues(r, name)
		if !ok {
			return "", errorf(KindMismatch, "Header '%s' is listed in SignedHeaders but is not present in the request.", clip(name))
		}
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range values {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(trimAll(v))
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// headerValues returns every value of the named header. net/http moves Host
// out of the header map, and test requests carry Content-Length only in
// r.ContentLength, so both are recovered from the request fields.
func headerValues(r *http.Request, name string) ([]string, bool) {
	if strings.EqualFold(name, "host") {
		if r.Host != "" {
			return []string{r.Host}, true
		}
		return []string{r.URL.Host}, r.URL.Host != ""
	}
	values := r.Header.Values(name)
	if len(values) == 0 && strings.EqualFold(name, "content-length") && r.ContentLength > 0 {
		return []string{strconv.FormatInt(r.ContentLength, 10)}, true
	}
	return values, len(values) > 0
}

// trimAll removes surrounding whitespace and collapses runs of spaces, the
// header value rule of SigV4 (and of aws-sdk-go-v2: only spaces collapse).
func trimAll(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// queryParam is one decoded query parameter.
type queryParam struct{ key, value string }

// query is a decoded query string in wire order.
type query []queryParam

// parseQuery decodes raw leniently: unlike url.ParseQuery it keeps pairs with
// ';' or bad escapes (as their raw text), so they still count in the
// canonical query and a tampered query cannot slip through by being dropped.
func parseQuery(raw string) query {
	var q query
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		q = append(q, queryParam{key: unescapeQuery(k), value: unescapeQuery(v)})
	}
	return q
}

func unescapeQuery(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// get returns the first value of key and whether key is present.
func (q query) get(key string) (string, bool) {
	for _, p := range q {
		if p.key == key {
			return p.value, true
		}
	}
	return "", false
}

// canonicalQuery encodes every parameter (except X-Amz-Signature when
// presigned, which cannot sign itself) with RFC 3986 rules and sorts by
// encoded key, then encoded value.
func canonicalQuery(raw string, presigned bool) string {
	var enc []queryParam
	for _, p := range parseQuery(raw) {
		if presigned && p.key == "X-Amz-Signature" {
			continue
		}
		enc = append(enc, queryParam{key: uriEncode(p.key, false), value: uriEncode(p.value, false)})
	}
	slices.SortFunc(enc, func(a, b queryParam) int {
		return cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.value, b.value))
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// uriEncode percent-encodes every byte except RFC 3986 unreserved characters
// (and '/' when keepSlash), with upper-case hex as SigV4 requires.
func uriEncode(s string, keepSlash bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || (keepSlash && c == '/') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// requestPath returns the path as it travelled on the wire. On a server that
// is r.RequestURI (immune to handlers such as http.StripPrefix rewriting
// r.URL); on a client it is what net/http will send, honouring URL.Opaque.
func requestPath(r *http.Request) string {
	p := r.URL.EscapedPath()
	switch {
	case strings.HasPrefix(r.RequestURI, "/"):
		p, _, _ = strings.Cut(r.RequestURI, "?")
	case r.URL.Opaque != "":
		p = opaquePath(r.URL.Opaque)
	}
	if p == "" {
		return "/"
	}
	return p
}

// opaquePath extracts the path from an Opaque of the form "//host/path",
// the pre-escaped form aws-sdk-go-v2 documents.
func opaquePath(opaque string) string {
	opaque, _, _ = strings.Cut(opaque, "?")
	opaque = strings.TrimPrefix(opaque, "//")
	if i := strings.IndexByte(opaque, '/'); i >= 0 {
		return opaque[i:]
	}
	return ""
}

// canonicalURIs returns the canonical URI as aws-sdk-go-v2 computes it (the
// wire path encoded again) and, when different, as botocore computes it (dot
// and empty segments removed first).
func canonicalURIs(path string) []string {
	raw := uriEncode(path, true)
	norm := uriEncode(normalizePath(path), true)
	if norm == raw {
		return []string{raw}
	}
	return []string{raw, norm}
}

// normalizePath removes "." and ".." segments (RFC 3986 section 5.2.4) and
// empty segments, keeping the leading and trailing slash.
func normalizePath(p string) string {
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	s := "/" + strings.Join(out, "/")
	if len(out) > 0 && strings.HasSuffix(p, "/") {
		s += "/"
	}
	return s
}
