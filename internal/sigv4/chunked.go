package sigv4

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/deploytrail/deploytrail/internal/checksum"
)

// Bounds of an aws-chunked body. Chunk data is never buffered: it streams
// to the caller while it is hashed, so a chunk may be as large as the body
// (aws-sdk-go-v2 sends a body of known length as one chunk).
const (
	maxChunkLine    = 4 << 10  // a chunk header or trailer line, without CRLF
	maxTrailerBytes = 16 << 10 // all trailer lines
	maxTrailerLines = 10
	maxSizeDigits   = 16 // hex digits of a chunk size
	minChunkSize    = 8 << 10
)

const (
	chunkSignatureExt = "chunk-signature="
	trailerSigName    = "x-amz-trailer-signature"
)

// chunkedReader decodes an aws-chunked body:
//
//	<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n   (repeated)
//	0[;chunk-signature=<sig>]\r\n
//	[<name>:<value>\r\n ...][x-amz-trailer-signature:<sig>\r\n]
//	\r\n
//
// Chunk signatures are present exactly when chain is not nil; trailer lines
// only with the *-TRAILER payloads, and their signature only when chunks
// are signed.
type chunkedReader struct {
	br       *bufio.Reader
	chain    *chunkChain // nil for STREAMING-UNSIGNED-PAYLOAD-TRAILER
	trailing bool        // the body may end with trailers

	sumName string             // the checksum trailer x-amz-trailer names, lower-case, or ""
	sumAlg  checksum.Algorithm // its algorithm
	sum     hash.Hash          // its running digest of the decoded body

	want      int64     // x-amz-decoded-content-length, or -1
	total     int64     // sum of the chunk sizes read so far
	left      int64     // bytes of the current chunk not yet read
	chunks    int       // data chunks so far
	lastSize  int64     // size of the last data chunk
	sig       string    // the current chunk's claimed signature
	chunkHash hash.Hash // SHA-256 of the current chunk's data; signed chunks only

	trailer http.Header
	err     error // sticky: io.EOF after a verified end, or the failure
}

func newChunkedReader(body io.Reader, h http.Header, payload string, chain *chunkChain) (*chunkedReader, error) {
	want, err := decodedLength(h)
	if err != nil {
		return nil, err
	}
	c := &chunkedReader{
		br:       bufio.NewReaderSize(body, maxChunkLine+2),
		chain:    chain,
		trailing: payload != StreamingSigned,
		want:     want,
	}
	if chain != nil {
		c.chunkHash = sha256.New()
	}
	if err := c.expectTrailer(h.Values("X-Amz-Trailer")); err != nil {
		return nil, err
	}
	return c, nil
}

// decodedLength reads x-amz-decoded-content-length, -1 if absent.
func decodedLength(h http.Header) (int64, error) {
	vs := h.Values("X-Amz-Decoded-Content-Length")
	if len(vs) == 0 {
		return -1, nil
	}
	n, err := strconv.ParseInt(vs[0], 10, 64)
	switch {
	case len(vs) > 1 || err != nil || n < 0:
		return 0, newError(KindInvalidRequest, "x-amz-decoded-content-length must be one non-negative number.")
	case n > MaxPayload:
		return 0, newError(KindInvalidRequest, "Your proposed upload exceeds the maximum allowed size")
	}
	return n, nil
}

// expectTrailer records the checksum trailer x-amz-trailer announces. S3
// supports one trailer, an x-amz-checksum-* header.
func (c *chunkedReader) expectTrailer(values []string) error {
	var names []string
	for _, v := range values {
		for n := range strings.SplitSeq(v, ",") {
			if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
				names = append(names, n)
			}
		}
	}
	switch {
	case len(names) == 0:
		return nil
	case !c.trailing:
		return newError(KindInvalidRequest, "x-amz-trailer requires x-amz-content-sha256 "+
			StreamingSignedTrailer+" or "+StreamingUnsignedTrailer+".")
	case len(names) > 1:
		return newError(KindInvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	}
	a, ok := checksum.ParseHeader(names[0])
	if !ok {
		return errorf(KindInvalidRequest, "The value specified in the x-amz-trailer header is not supported: '%s'.", clip(names[0]))
	}
	c.sumName, c.sumAlg, c.sum = names[0], a, a.New()
	return nil
}

// Read returns decoded data. It returns io.EOF only after the final chunk,
// the trailer and every check have passed; errors are sticky.
func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if c.left == 0 {
		if err := c.nextChunk(); err != nil {
			return 0, c.fail(err)
		}
	}
	n, err := c.br.Read(p[:min(int64(len(p)), c.left)])
	c.consume(p[:n])
	switch {
	case c.left == 0:
		err = c.endChunk()
	case err == io.EOF:
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return n, c.fail(err)
	}
	return n, nil
}

// fail makes err sticky. The internal steps report the source ending early
// as io.ErrUnexpectedEOF, which is IncompleteBody; io.EOF means a verified end.
func (c *chunkedReader) fail(err error) error {
	if err == io.ErrUnexpectedEOF {
		err = newError(KindIncompleteBody, "The request body ended before the end of the aws-chunked stream.")
	}
	c.err = err
	return err
}

func (c *chunkedReader) consume(data []byte) {
	c.left -= int64(len(data))
	if c.chunkHash != nil {
		c.chunkHash.Write(data)
	}
	if c.sum != nil {
		c.sum.Write(data)
	}
}

// nextChunk reads a chunk header; after the final chunk it checks the
// trailer and the end and returns io.EOF.
func (c *chunkedReader) nextChunk() error {
	line, err := c.readLine()
	if err != nil {
		return err
	}
	size, err := c.parseHeader(line)
	if err != nil {
		return err
	}
	c.total += size
	switch {
	case c.want >= 0 && c.total > c.want:
		return newError(KindIncompleteBody, "The aws-chunked chunks are longer than x-amz-decoded-content-length.")
	case c.total > MaxPayload:
		return newError(KindMalformedChunk, "Your proposed upload exceeds the maximum allowed size")
	case size == 0:
		return c.finish()
	case c.chunks > 0 && c.lastSize < minChunkSize:
		return errorf(KindInvalidChunkSize, "Only the last chunk is allowed to have a size less than 8192 bytes "+
			"(chunk %d has %d).", c.chunks, c.lastSize)
	}
	c.chunks++
	c.lastSize, c.left = size, size
	return nil
}

// parseHeader reads "<hex size>" or "<hex size>;chunk-signature=<sig>".
func (c *chunkedReader) parseHeader(line []byte) (int64, error) {
	digits, ext, hasExt := bytes.Cut(line, []byte{';'})
	size, err := strconv.ParseUint(string(digits), 16, 64)
	if err != nil || len(digits) > maxSizeDigits || size > MaxPayload {
		return 0, errorf(KindMalformedChunk, "The chunk size '%s' is not a hexadecimal number of at most 5 GiB.", clip(string(digits)))
	}
	if c.chain == nil {
		if hasExt {
			return 0, newError(KindMalformedChunk, "An unsigned aws-chunked chunk header has an extension.")
		}
		return int64(size), nil
	}
	sig, ok := bytes.CutPrefix(ext, []byte(chunkSignatureExt))
	if !ok || !isSHA256Hex(string(sig)) {
		return 0, newError(KindMalformedChunk, "A signed aws-chunked chunk header must end in ';chunk-signature=' and 64 hex digits.")
	}
	c.sig = string(sig)
	return int64(size), nil
}

// endChunk checks the CRLF after a chunk's data (a chunk that lied about
// its size fails here) and the chunk's signature.
func (c *chunkedReader) endChunk() error {
	var crlf [2]byte
	if _, err := io.ReadFull(c.br, crlf[:]); err == io.EOF {
		return io.ErrUnexpectedEOF
	} else if err != nil {
		return err
	}
	if crlf != [2]byte{'\r', '\n'} {
		return newError(KindMalformedChunk, "A chunk's data is not followed by CRLF: its size is wrong.")
	}
	if c.chain == nil {
		return nil
	}
	err := c.chain.chunk(c.sig, c.chunkHash.Sum(nil))
	c.chunkHash.Reset()
	return err
}

// finish handles the final, empty chunk: its signature, the decoded
// length, the trailer and the end of the body.
func (c *chunkedReader) finish() error {
	if c.chain != nil {
		if err := c.chain.chunk(c.sig, c.chunkHash.Sum(nil)); err != nil {
			return err
		}
	}
	if c.want >= 0 && c.total != c.want {
		return newError(KindIncompleteBody, "You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header.")
	}
	lines, err := c.readTrailerLines()
	if err != nil {
		return err
	}
	if err := c.checkTrailer(lines); err != nil {
		return err
	}
	return c.expectEnd()
}

// expectEnd insists that nothing follows the final CRLF.
func (c *chunkedReader) expectEnd() error {
	switch _, err := c.br.ReadByte(); err {
	case io.EOF:
		return io.EOF
	case nil:
		return newError(KindMalformedChunk, "The request body continues after the end of the aws-chunked stream.")
	default:
		return err
	}
}

// readLine reads one CRLF-terminated line of at most maxChunkLine bytes and
// returns it without the CRLF. The slice is valid until the next read.
func (c *chunkedReader) readLine() ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull:
		return nil, newError(KindMalformedChunk, "An aws-chunked header or trailer line is longer than 4 KiB.")
	case err == io.EOF:
		return nil, io.ErrUnexpectedEOF
	case err != nil:
		return nil, err
	case len(line) < 2 || line[len(line)-2] != '\r':
		return nil, newError(KindMalformedChunk, "An aws-chunked header or trailer line does not end in CRLF.")
	}
	return line[:len(line)-2], nil
}
