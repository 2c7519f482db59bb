package sigv4

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	algorithm   = "AWS4-HMAC-SHA256"
	algorithmV4 = "AWS4-ECDSA-P256-SHA256" // SigV4a, recognized only to reject it clearly
	terminator  = "aws4_request"
	timeFormat  = "20060102T150405Z"
	dateFormat  = "20060102"
	maxExpires  = 7 * 24 * 60 * 60 // AWS's limit for presigned URLs: one week
)

// Signature is a parsed SigV4 signature, from the Authorization header or a
// presigned query string.
type Signature struct {
	AccessKeyID   string
	Date          time.Time // from X-Amz-Date (or the Date header)
	Scope         Scope
	SignedHeaders []string      // as listed by the client, normally lower-case and sorted
	SecurityToken string        // X-Amz-Security-Token (header or query), "" if absent
	Presigned     bool          // true when the signature came from the query string
	Expires       time.Duration // X-Amz-Expires; presigned only
	signature     string        // hex, as sent by the client
}

// Scope is the credential scope: the day, region and service a signing key
// is derived for.
type Scope struct {
	Date    string // YYYYMMDD
	Region  string
	Service string
}

// String returns the scope as it appears in the string to sign,
// "YYYYMMDD/region/service/aws4_request".
func (s Scope) String() string {
	return s.Date + "/" + s.Region + "/" + s.Service + "/" + terminator
}

// Parse extracts the signature from r without needing the secret. Errors are
// *Error of KindMissing (no signature at all) or KindIncomplete (malformed).
func Parse(r *http.Request) (*Signature, error) {
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	query := parseQuery(r.URL.RawQuery)
	_, presigned := query.get("X-Amz-Algorithm")
	switch {
	case auth != "" && presigned:
		return nil, newError(KindIncomplete, msgTwoMechanisms)
	case auth != "":
		return parseHeader(auth, r.Header)
	case presigned:
		return parsePresigned(query)
	}
	return nil, newError(KindMissing, msgMissing)
}

// parseHeader parses "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
// Signature=…". Like AWS it accepts commas and spaces in any mix between the
// parts, because clients differ in how they join them.
func parseHeader(auth string, h http.Header) (*Signature, error) {
	fields := strings.FieldsFunc(auth, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' })
	if len(fields) == 0 {
		return nil, checkAlgorithm("")
	}
	if err := checkAlgorithm(fields[0]); err != nil {
		return nil, err
	}
	params, err := authParams(fields[1:])
	if err != nil {
		return nil, err
	}
	sig := &Signature{signature: params["Signature"], SecurityToken: h.Get("X-Amz-Security-Token")}
	if err := sig.setCredential(params["Credential"]); err != nil {
		return nil, err
	}
	if sig.SignedHeaders, err = parseSignedHeaders(params["SignedHeaders"]); err != nil {
		return nil, err
	}
	if sig.Date, err = headerDate(h); err != nil {
		return nil, err
	}
	return sig, nil
}

// authParams splits key=value parts and reports every missing required part
// at once, as AWS does.
func authParams(fields []string) (map[string]string, error) {
	params := make(map[string]string, len(fields))
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, errorf(KindIncomplete, "'%s' not a valid key=value pair (missing equal-sign) in Authorization header.", clip(f))
		}
		if _, dup := params[k]; dup {
			return nil, errorf(KindIncomplete, "Authorization header has a duplicate '%s' parameter.", clip(k))
		}
		params[k] = v
	}
	var missing []string
	for _, k := range []string{"Credential", "Signature", "SignedHeaders"} {
		if params[k] == "" {
			missing = append(missing, "Authorization header requires '"+k+"' parameter.")
		}
	}
	if missing != nil {
		return nil, newError(KindIncomplete, strings.Join(missing, " "))
	}
	return params, nil
}

// parsePresigned reads the X-Amz-* query parameters of a presigned URL.
func parsePresigned(q query) (*Signature, error) {
	alg, _ := q.get("X-Amz-Algorithm")
	if err := checkAlgorithm(alg); err != nil {
		return nil, err
	}
	v := make(map[string]string)
	for _, k := range []string{"X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders"} {
		if v[k], _ = q.get(k); v[k] == "" {
			return nil, newError(KindIncomplete, msgPresignParams)
		}
	}
	sig := &Signature{Presigned: true, signature: v["X-Amz-Signature"]}
	sig.SecurityToken, _ = q.get("X-Amz-Security-Token")
	var err error
	if err = sig.setCredential(v["X-Amz-Credential"]); err != nil {
		return nil, err
	}
	if sig.SignedHeaders, err = parseSignedHeaders(v["X-Amz-SignedHeaders"]); err != nil {
		return nil, err
	}
	if sig.Date, err = parseAmzDate(v["X-Amz-Date"]); err != nil {
		return nil, err
	}
	// Non-S3 services accept presigned URLs without X-Amz-Expires (the
	// SDKs' presigned sts:GetCallerIdentity has none) for the skew window.
	sig.Expires = MaxSkew
	if e, ok := q.get("X-Amz-Expires"); ok {
		if sig.Expires, err = parseExpires(e); err != nil {
			return nil, err
		}
	}
	return sig, nil
}

func checkAlgorithm(alg string) error {
	switch alg {
	case algorithm:
		return nil
	case algorithmV4:
		return newError(KindIncomplete, "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'. "+
			"SigV4a is not supported; sign requests with AWS4-HMAC-SHA256.")
	}
	return errorf(KindIncomplete, "Unsupported AWS 'algorithm': '%s'. Sign requests with AWS4-HMAC-SHA256.", clip(alg))
}

// setCredential parses "AKID/YYYYMMDD/region/service/aws4_request".
func (s *Signature) setCredential(cred string) error {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[0] == "" || parts[2] == "" || parts[3] == "" {
		return errorf(KindIncomplete, "Credential '%s' is malformed; expected "+
			"'<AccessKeyId>/<YYYYMMDD>/<region>/<service>/aws4_request'.", clip(cred))
	}
	if parts[4] != terminator {
		return errorf(KindIncomplete, "Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", clip(parts[4]))
	}
	if !validDate(parts[1]) {
		return errorf(KindIncomplete, "Credential date '%s' must be in the form YYYYMMDD.", clip(parts[1]))
	}
	s.AccessKeyID = parts[0]
	s.Scope = Scope{Date: parts[1], Region: parts[2], Service: parts[3]}
	return nil
}

// parseSignedHeaders splits "content-type;host;x-amz-date" and insists on
// host: without it a signature could be replayed against another endpoint.
func parseSignedHeaders(list string) ([]string, error) {
	names := strings.Split(list, ";")
	hasHost := false
	for _, n := range names {
		if n == "" {
			return nil, errorf(KindIncomplete, "SignedHeaders '%s' is malformed; expected header names separated by ';'.", clip(list))
		}
		hasHost = hasHost || n == "host"
	}
	if !hasHost {
		return nil, newError(KindIncomplete, msgHostNotSigned)
	}
	return names, nil
}

// headerDate returns the signing time of a header-signed request: X-Amz-Date,
// or the Date header for clients that sign that instead.
func headerDate(h http.Header) (time.Time, error) {
	if v := h.Get("X-Amz-Date"); v != "" {
		return parseAmzDate(v)
	}
	v := h.Get("Date")
	if v == "" {
		return time.Time{}, newError(KindIncomplete, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return time.Time{}, errorf(KindIncomplete, "Date header '%s' is not a valid HTTP date.", clip(v))
	}
	return t.UTC(), nil
}

// parseAmzDate accepts only the exact ISO 8601 basic form, because the string
// to sign is rebuilt from the parsed time and must match the client's bytes.
func parseAmzDate(v string) (time.Time, error) {
	t, err := time.Parse(timeFormat, v)
	if err != nil || t.Format(timeFormat) != v {
		return time.Time{}, newError(KindIncomplete, `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'".`)
	}
	return t, nil
}

func validDate(v string) bool {
	t, err := time.Parse(dateFormat, v)
	return err == nil && t.Format(dateFormat) == v
}

func parseExpires(v string) (time.Duration, error) {
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		return 0, newError(KindIncomplete, "X-Amz-Expires should be a number.")
	case n < 1:
		return 0, newError(KindIncomplete, "X-Amz-Expires must be a positive number of seconds.")
	case n > maxExpires:
		return 0, newError(KindIncomplete, "X-Amz-Expires must be less than a week (in seconds) that is 604800.")
	}
	return time.Duration(n) * time.Second, nil
}
