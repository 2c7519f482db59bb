package codedeploy

import "github.com/deploytrail/deploytrail/internal/pagetoken"

// pageSize is how many items a CodeDeploy list returns at most; the API
// has no maxResults.
const pageSize = 100

// tokens makes opaque nextTokens: the last key of a page, sealed with the
// operation it belongs to, so that a tampered or foreign token is refused
// with InvalidNextTokenException instead of paging somewhere odd.
type tokens struct{ sealer pagetoken.Sealer }

// encode returns the token that continues op after the key last.
func (t tokens) encode(op, last string) string { return t.sealer.Seal(op, last) }

// decode returns the key a token of op continues after ("" for no token).
func (t tokens) decode(op, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	last, ok := t.sealer.Open(op, token)
	if !ok {
		return "", errorf(CodeInvalidNextToken, "The next token was invalid.")
	}
	return last, nil
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
