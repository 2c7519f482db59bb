package iam

import (
	"crypto/rand"
	"encoding/base64"
	"math/big"
)

// ID prefixes, as IAM issues them.
const (
	prefixUser      = "AIDA"
	prefixRole      = "AROA"
	prefixGroup     = "AGPA"
	prefixPolicy    = "ANPA"
	prefixKey       = "AKIA"
	prefixTempKey   = "ASIA"
	uniqueIDLength  = 21 // prefix + 17
	accessKeyLength = 20 // prefix + 16
)

const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomString returns n characters drawn uniformly from alphabet with a
// cryptographic source (ids are not secret, but keys are).
func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("iam: crypto/rand failed: " + err.Error())
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

func newUniqueID(prefix string) string {
	return prefix + randomString(upperAlnum, uniqueIDLength-len(prefix))
}

// NewAccessKeyID returns a long-term access key id (AKIA…).
func NewAccessKeyID() string {
	return prefixKey + randomString(upperAlnum, accessKeyLength-len(prefixKey))
}

func newTempAccessKeyID() string {
	return prefixTempKey + randomString(upperAlnum, accessKeyLength-len(prefixTempKey))
}

// NewSecretAccessKey returns a 40-character secret access key.
func NewSecretAccessKey() string {
	return randomString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40)
}

// NewAccountID returns a random 12-digit account id that does not start
// with 0, so that tools which parse it as a number keep all its digits.
func NewAccountID() string {
	return randomString("123456789", 1) + randomString("0123456789", 11)
}

func newSessionToken() string {
	b := make([]byte, 96)
	if _, err := rand.Read(b); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	return "IQoJb3JpZ2luX2Vj" + base64.StdEncoding.EncodeToString(b)
}
