package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// emptySHA256 is the hex SHA-256 of no bytes, which stands in a chunk's
// string to sign where an event stream message would hash its headers.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// chunkChain verifies the signatures of a signed aws-chunked body: each
// chunk's signature covers its data and the previous signature, starting
// from the request's (the seed), so chunks cannot be dropped, reordered or
// replayed from another request.
type chunkChain struct {
	key   []byte // the request's signing key
	date  string // X-Amz-Date, as in the request's string to sign
	scope string
	prev  string // hex signature of the previous chunk, or the seed
}

// chunk checks claimed, the signature a chunk header carries, against the
// SHA-256 of that chunk's data.
func (c *chunkChain) chunk(claimed string, dataSum []byte) error {
	return c.check(claimed, "AWS4-HMAC-SHA256-PAYLOAD\n"+c.date+"\n"+c.scope+"\n"+c.prev+"\n"+
		emptySHA256+"\n"+hex.EncodeToString(dataSum))
}

// trailer checks the x-amz-trailer-signature against the trailer lines.
func (c *chunkChain) trailer(claimed string, lines []byte) error {
	sum := sha256.Sum256(lines)
	return c.check(claimed, "AWS4-HMAC-SHA256-TRAILER\n"+c.date+"\n"+c.scope+"\n"+c.prev+"\n"+hex.EncodeToString(sum[:]))
}

func (c *chunkChain) check(claimed, toSign string) error {
	want := hex.EncodeToString(hmacSHA256(c.key, toSign))
	if !hmac.Equal([]byte(want), []byte(claimed)) {
		return newError(KindMismatch, msgMismatch)
	}
	c.prev = want
	return nil
}
