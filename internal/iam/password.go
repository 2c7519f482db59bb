package iam

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/crypto/scrypt"
)

// scrypt parameters for console passwords: about 50 ms a hash here, so a
// stolen database is slow to brute-force.
const (
	scryptN      = 1 << 15
	scryptR      = 8
	scryptP      = 1
	scryptKeyLen = 32
)

// HashPassword returns a salted scrypt hash of password.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := scrypt.Key([]byte(password), salt, scryptN, scryptR, scryptP, scryptKeyLen)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("scrypt$%d$%d$%d$%s$%s", scryptN, scryptR, scryptP, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches hash, in constant time.
func CheckPassword(hash, password string) bool {
	var n, r, p int
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "scrypt" {
		return false
	}
	if _, err := fmt.Sscanf(parts[1]+" "+parts[2]+" "+parts[3], "%d %d %d", &n, &r, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got, err := scrypt.Key([]byte(password), salt, n, r, p, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// checkPasswordPolicy applies IAM's default password policy: at least 8
// characters, of at least three of the four kinds, not the user name.
func checkPasswordPolicy(password, userName string) error {
	if len(password) < 8 {
		return passwordViolation("Password should have a minimum length of 8")
	}
	if strings.EqualFold(password, userName) {
		return passwordViolation("Password should not be the same as the user name")
	}
	kinds := 0
	for _, has := range []func(rune) bool{unicode.IsUpper, unicode.IsLower, unicode.IsDigit, isSymbol} {
		if strings.IndexFunc(password, has) >= 0 {
			kinds++
		}
	}
	if kinds < 3 {
		return passwordViolation("Password should have at least three of the following: uppercase letters, lowercase letters, numbers, and symbols")
	}
	return nil
}

func isSymbol(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }
