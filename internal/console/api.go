package console

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/deploytrail/deploytrail/internal/sigv4"
)

// UserAgent is the userAgent of every call the console makes: records
// tell the console from the CLI and SDKs by it (spec Appendix D allows
// any fixed, documented value).
const UserAgent = "console.deploytrail"

// maxAPIResponse bounds what one API answer may hold in memory.
const maxAPIResponse = 16 << 20

// JSON 1.1 services the console calls: signing name and target prefix.
var (
	codeDeployAPI = jsonAPI{service: "codedeploy", prefix: "CodeDeploy_20141006."}
	cloudTrailAPI = jsonAPI{service: "cloudtrail", prefix: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."}
)

type jsonAPI struct{ service, prefix string }

// APIError is an error the API answered, shown as AWS's code and message.
type APIError struct {
	Status        int
	Code, Message string
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// call makes one JSON 1.1 API call as the signed-in user (send).
func (c *Console) call(r *http.Request, a *active, api jsonAPI, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	h := http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {api.prefix + op}}
	rec, err := c.send(r, a, api.service, body, h)
	if err != nil {
		return err
	}
	if rec.status >= 300 {
		return apiError(rec)
	}
	if out == nil || rec.body.Len() == 0 {
		return nil
	}
	return json.Unmarshal(rec.body.Bytes(), out)
}

// callQuery makes one Query-protocol call (IAM's) as the signed-in user;
// the console reads no Query answers, only their errors.
func (c *Console) callQuery(r *http.Request, a *active, service, version, action string, params url.Values) error {
	params.Set("Action", action)
	params.Set("Version", version)
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}
	rec, err := c.send(r, a, service, []byte(params.Encode()), h)
	if err != nil {
		return err
	}
	if rec.status >= 300 {
		return queryError(rec)
	}
	return nil
}

// send makes one API request as the signed-in user: SigV4-signed with the
// session's temporary credentials, served by the server's own handler in
// process, so it is authorized, answered and recorded exactly as the same
// call from the CLI. The browser's address and TLS state go with it, so
// the record shows where the user was.
func (c *Console) send(r *http.Request, a *active, service string, body []byte, h http.Header) (*response, error) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "http://"+r.Host+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.RemoteAddr, req.TLS, req.Host = r.RemoteAddr, r.TLS, r.Host
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		req.Header["X-Forwarded-For"] = xff
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", UserAgent)
	cr := sigv4.Credentials{AccessKeyID: a.creds.AccessKeyID, SecretAccessKey: a.creds.Secret, SessionToken: a.creds.Token}
	if err := sigv4.Sign(req, body, cr, c.region(), service, c.now()); err != nil {
		return nil, err
	}
	rec := &response{header: http.Header{}}
	c.API.ServeHTTP(rec, req)
	return rec, nil
}

// queryError decodes a Query protocol error answer.
func queryError(rec *response) error {
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := xml.Unmarshal(rec.body.Bytes(), &e); err != nil || e.Error.Code == "" {
		return &APIError{Status: rec.status, Code: "InternalFailure", Message: http.StatusText(rec.status)}
	}
	return &APIError{Status: rec.status, Code: e.Error.Code, Message: e.Error.Message}
}

// apiError decodes a JSON 1.1 error answer.
func apiError(rec *response) error {
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
		Upper   string `json:"Message"`
	}
	if err := json.Unmarshal(rec.body.Bytes(), &e); err != nil || e.Type == "" {
		return &APIError{Status: rec.status, Code: "InternalFailure", Message: http.StatusText(rec.status)}
	}
	code := e.Type[strings.LastIndex(e.Type, "#")+1:]
	if e.Message == "" {
		e.Message = e.Upper
	}
	return &APIError{Status: rec.status, Code: code, Message: e.Message}
}

// response collects the API's answer in memory, up to maxAPIResponse.
type response struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *response) Header() http.Header { return w.header }

func (w *response) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *response) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.body.Len()+len(p) > maxAPIResponse {
		return 0, fmt.Errorf("console: API answer over %d bytes", maxAPIResponse)
	}
	return w.body.Write(p)
}

var _ io.Writer = (*response)(nil)
