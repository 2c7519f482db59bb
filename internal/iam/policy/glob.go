package policy

import (
	"unicode"
	"unicode/utf8"
)

// globMatch reports whether s matches pattern, in which * stands for any
// run of characters (including none, and across ':' and '/') and ? for
// exactly one character.
//
// With fold, letters compare case-insensitively (actions). With escaped,
// a backslash makes the next character literal; only patterns built by
// expand are escaped, because policy text itself has no escape syntax.
//
// The matcher backtracks only to the most recent *, so it runs in
// O(len(pattern)·len(s)) even for patterns full of stars.
func globMatch(pattern, s string, fold, escaped bool) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(pattern) {
			switch pattern[p] {
			case '*':
				starP, starI = p, i
				p++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[i:])
				p, i = p+1, i+n
				continue
			}
			lit, skip := literalAt(pattern, p, escaped)
			_, n := utf8.DecodeRuneInString(s[i:])
			if sameChar(lit, s[i:i+n], fold) {
				p, i = p+skip+len(lit), i+n
				continue
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last * swallow one more character and retry after it.
		_, n := utf8.DecodeRuneInString(s[starI:])
		starI += n
		p, i = starP+1, starI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// literalAt returns the literal character at pattern[p] and how many
// escape bytes precede it (0 or 1).
func literalAt(pattern string, p int, escaped bool) (lit string, skip int) {
	if escaped && pattern[p] == '\\' && p+1 < len(pattern) {
		skip = 1
	}
	_, n := utf8.DecodeRuneInString(pattern[p+skip:])
	return pattern[p+skip : p+skip+n], skip
}

// sameChar compares two encoded characters, optionally ignoring case.
// Invalid UTF-8 compares by bytes, so two different bad bytes never look
// equal just because both decode to U+FFFD.
func sameChar(a, b string, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	ra, na := utf8.DecodeRuneInString(a)
	rb, nb := utf8.DecodeRuneInString(b)
	if (ra == utf8.RuneError && na <= 1) || (rb == utf8.RuneError && nb <= 1) {
		return false
	}
	return unicode.ToLower(ra) == unicode.ToLower(rb) || unicode.ToUpper(ra) == unicode.ToUpper(rb)
}
