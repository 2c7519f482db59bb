package sigv4

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/deploytrail/deploytrail/internal/checksum"
)

// readTrailerLines reads the lines after the final chunk up to the empty
// line that ends the body, within maxTrailerLines and maxTrailerBytes.
func (c *chunkedReader) readTrailerLines() ([][]byte, error) {
	var lines [][]byte
	size := 0
	for {
		line, err := c.readLine()
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			return lines, nil
		}
		size += len(line)
		if len(lines) == maxTrailerLines || size > maxTrailerBytes {
			return nil, newError(KindMalformedTrailer, "The aws-chunked trailer has more than 10 lines or 16 KiB.")
		}
		lines = append(lines, bytes.Clone(line))
	}
}

// checkTrailer verifies the trailer's signature (signed chunks), its
// names against x-amz-trailer, and the checksum it carries.
func (c *chunkedReader) checkTrailer(lines [][]byte) error {
	if !c.trailing {
		if len(lines) > 0 {
			return newError(KindMalformedTrailer, "The aws-chunked stream has trailer lines but x-amz-content-sha256 announces none.")
		}
		return nil
	}
	lines, err := c.checkTrailerSignature(lines)
	if err != nil {
		return err
	}
	if c.trailer, err = c.parseTrailer(lines); err != nil {
		return err
	}
	return c.checkSum()
}

// checkTrailerSignature verifies and removes the last line,
// x-amz-trailer-signature, which signs the lines before it, each ending in
// "\n" as in the string to sign.
func (c *chunkedReader) checkTrailerSignature(lines [][]byte) ([][]byte, error) {
	if c.chain == nil {
		return lines, nil
	}
	if len(lines) == 0 {
		return nil, newError(KindMalformedTrailer, "The aws-chunked trailer lacks x-amz-trailer-signature.")
	}
	name, sig, _ := strings.Cut(string(lines[len(lines)-1]), ":")
	if !strings.EqualFold(strings.TrimSpace(name), trailerSigName) {
		return nil, newError(KindMalformedTrailer, "The aws-chunked trailer lacks x-amz-trailer-signature.")
	}
	lines = lines[:len(lines)-1]
	var signed []byte
	for _, l := range lines {
		signed = append(append(signed, l...), '\n')
	}
	return lines, c.chain.trailer(strings.TrimSpace(sig), signed)
}

// parseTrailer reads "name:value" lines; only the checksum x-amz-trailer
// announced may appear, once.
func (c *chunkedReader) parseTrailer(lines [][]byte) (http.Header, error) {
	h := make(http.Header, len(lines))
	for _, l := range lines {
		name, value, ok := strings.Cut(string(l), ":")
		name = strings.ToLower(strings.TrimSpace(name))
		switch {
		case !ok || name == "":
			return nil, newError(KindMalformedTrailer, "An aws-chunked trailer line is not 'name:value'.")
		case name != c.sumName:
			return nil, errorf(KindInvalidRequest, "The trailer '%s' is not announced in x-amz-trailer.", clip(name))
		case h.Get(name) != "":
			return nil, errorf(KindMalformedTrailer, "The trailer '%s' appears twice.", clip(name))
		}
		h.Set(name, strings.TrimSpace(value))
	}
	return h, nil
}

// checkSum compares the announced checksum trailer with the decoded body.
func (c *chunkedReader) checkSum() error {
	if c.sum == nil {
		return nil
	}
	v := c.trailer.Get(c.sumName)
	if v == "" {
		return errorf(KindIncompleteBody, "The trailer '%s' announced in x-amz-trailer is missing.", c.sumName)
	}
	want, err := checksum.ParseValue(c.sumAlg, v)
	if err != nil {
		return err
	}
	return want.Check(c.sum.Sum(nil))
}
