package sigv4_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/checksum"
	"github.com/deploytrail/deploytrail/internal/sigv4"
)

// An S3 PutObject handler verifies the signature before reading the body,
// then reads the body through the checks of its payload hash (or its
// aws-chunked framing) and of its Content-MD5 and x-amz-checksum-* headers,
// computing the MD5 its ETag needs. It commits the object only if the read
// ends in io.EOF.
func ExampleSignature_VerifyStream() {
	creds := sigv4.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	body := "hello, S3"
	sum := sha256.Sum256([]byte(body))
	crc := checksum.CRC32.New()
	crc.Write([]byte(body))

	// What a client sends.
	r := httptest.NewRequest("PUT", "http://127.0.0.1:4590/bucket/key", strings.NewReader(body))
	r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	r.Header.Set("X-Amz-Checksum-Crc32", checksum.Encode(crc.Sum(nil)))
	if err := sigv4.Sign(r, []byte(body), creds, "us-east-1", "s3", now); err != nil {
		fmt.Println(err)
		return
	}

	// What the server does.
	sig, err := sigv4.Parse(r)
	if err != nil {
		fmt.Println(err)
		return
	}
	payload, err := sig.VerifyStream(r, creds.SecretAccessKey, now)
	if err != nil {
		fmt.Println(err) // SignatureDoesNotMatch, InvalidRequest, ...
		return
	}
	claims, err := checksum.FromHeaders(r.Header)
	if err != nil {
		fmt.Println(err) // InvalidDigest, InvalidRequest
		return
	}
	object := checksum.NewReader(payload, claims, checksum.MD5)
	data, err := io.ReadAll(object) // stage data; commit only if err is nil
	fmt.Printf("%q %v ETag=%x\n", data, err, object.Sum(checksum.MD5))
	// Output: "hello, S3" <nil> ETag=d8b4dc4d3df22ae5e9eabe01b0681038
}
