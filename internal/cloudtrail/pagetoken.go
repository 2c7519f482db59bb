package cloudtrail

import (
	"fmt"
	"time"

	"github.com/deploytrail/deploytrail/internal/pagetoken"
)

// tokens makes opaque NextTokens: the position of a page's last event,
// sealed together with the parameters of the lookup, so that a tampered
// token, or one reused with other parameters, is refused with
// InvalidNextTokenException.
type tokens struct{ sealer pagetoken.Sealer }

// encode returns the token that continues the lookup binding after c.
func (t tokens) encode(binding string, c Cursor) string {
	return t.sealer.Seal("LookupEvents\x00"+binding, fmt.Sprintf("%d.%d", c.Time.UnixNano(), c.Seq))
}

// decode returns the position a token of binding continues after; nil for
// no token.
func (t tokens) decode(binding, token string) (*Cursor, error) {
	if token == "" {
		return nil, nil
	}
	bad := errorf(CodeInvalidNextToken, "Invalid NextToken: it is malformed, or was used with different parameters.")
	payload, ok := t.sealer.Open("LookupEvents\x00"+binding, token)
	if !ok {
		return nil, bad
	}
	var ns, seq int64
	if _, err := fmt.Sscanf(payload, "%d.%d", &ns, &seq); err != nil {
		return nil, bad
	}
	return &Cursor{Time: time.Unix(0, ns).UTC(), Seq: seq}, nil
}
