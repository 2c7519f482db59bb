package cloudtrail

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// tokens makes opaque NextTokens: the position of a page's last event,
// signed together with the parameters of the lookup, so that a tampered
// token, or one reused with other parameters, is refused with
// InvalidNextTokenException.
type tokens struct{ key []byte }

func (t tokens) sign(binding, payload string) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte("LookupEvents\x00" + binding + "\x00" + payload))
	return m.Sum(nil)[:16]
}

// encode returns the token that continues the lookup binding after c.
func (t tokens) encode(binding string, c Cursor) string {
	payload := fmt.Sprintf("%d.%d", c.Time.UnixNano(), c.Seq)
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." +
		base64.RawURLEncoding.EncodeToString(t.sign(binding, payload))
}

// decode returns the position a token of binding continues after; nil for
// no token.
func (t tokens) decode(binding, token string) (*Cursor, error) {
	if token == "" {
		return nil, nil
	}
	bad := errorf(CodeInvalidNextToken, "Invalid NextToken: it is malformed, or was used with different parameters.")
	p64, mac64, ok := strings.Cut(token, ".")
	if !ok {
		return nil, bad
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p64)
	sum, err2 := base64.RawURLEncoding.DecodeString(mac64)
	if err1 != nil || err2 != nil || !hmac.Equal(sum, t.sign(binding, string(payload))) {
		return nil, bad
	}
	var ns, seq int64
	if _, err := fmt.Sscanf(string(payload), "%d.%d", &ns, &seq); err != nil {
		return nil, bad
	}
	return &Cursor{Time: time.Unix(0, ns).UTC(), Seq: seq}, nil
}
