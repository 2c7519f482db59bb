package trail

import (
	"bytes"
	"encoding/json"
	"strings"
)

// JSON is the record as it is stored, looked up and delivered: compact,
// without HTML escaping (consumers read it as JSON, not HTML).
func (e *Event) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// Username is LookupEvents' Username of the event: the IAM user name, the
// role session name, "root", or the federated user's name; "" for services.
func (e *Event) Username() string {
	id := e.UserIdentity
	if id == nil {
		return ""
	}
	switch id.Type {
	case "IAMUser":
		return id.UserName
	case "Root":
		return "root"
	case "AssumedRole", "FederatedUser":
		return id.ARN[strings.LastIndex(id.ARN, "/")+1:]
	}
	return ""
}

// AccessKeyID is the key that signed the call, "" when none did.
func (e *Event) AccessKeyID() string {
	if e.UserIdentity == nil {
		return ""
	}
	return e.UserIdentity.AccessKeyID
}
