package codedeploy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// pageSize is how many items a CodeDeploy list returns at most; the API
// has no maxResults.
const pageSize = 100

// tokens makes opaque nextTokens: the last key of a page and the operation
// it belongs to, signed so that a tampered or foreign token is refused
// with InvalidNextTokenException instead of paging somewhere odd.
type tokens struct{ key []byte }

func (t tokens) sign(op, last string) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(op + "\x00" + last))
	return m.Sum(nil)[:16]
}

// encode returns the token that continues op after the key last.
func (t tokens) encode(op, last string) string {
	payload := base64.RawURLEncoding.EncodeToString([]byte(last))
	return payload + "." + base64.RawURLEncoding.EncodeToString(t.sign(op, last))
}

// decode returns the key a token of op continues after ("" for no token).
func (t tokens) decode(op, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	bad := errorf(CodeInvalidNextToken, "The next token was invalid.")
	payload, mac, ok := strings.Cut(token, ".")
	if !ok {
		return "", bad
	}
	last, err1 := base64.RawURLEncoding.DecodeString(payload)
	sum, err2 := base64.RawURLEncoding.DecodeString(mac)
	if err1 != nil || err2 != nil || !hmac.Equal(sum, t.sign(op, string(last))) {
		return "", bad
	}
	return string(last), nil
}

// page cuts a sorted list of keys after the token's position and returns
// one page and the token for the next, "" when none follows.
func (t tokens) page(op, token string, keys []string) ([]string, string, error) {
	after, err := t.decode(op, token)
	if err != nil {
		return nil, "", err
	}
	start := 0
	if after != "" {
		for start < len(keys) && keys[start] <= after {
			start++
		}
	}
	keys = keys[start:]
	if len(keys) <= pageSize {
		return keys, "", nil
	}
	keys = keys[:pageSize]
	return keys, t.encode(op, keys[len(keys)-1]), nil
}
