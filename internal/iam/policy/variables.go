package policy

import "strings"

// lookup returns the values of a condition key in ctx. Condition keys
// are case-insensitive in IAM; the exact spelling is tried first because
// callers almost always use it. An empty list counts as absent.
func lookup(ctx map[string][]string, key string) []string {
	if v, ok := ctx[key]; ok {
		return v
	}
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// expandValue substitutes policy variables in a value compared literally
// (StringEquals, NumericEquals, …). ok is false when a variable cannot be
// resolved, in which case the value matches nothing.
func expandValue(s string, ctx map[string][]string, vars bool) (v string, ok bool) {
	if !vars || !strings.Contains(s, "${") {
		return s, true
	}
	return expand(s, ctx, false)
}

// expandPattern substitutes policy variables in a wildcard pattern
// (Resource, StringLike, ArnLike). Substituted text must match literally,
// so when anything was substituted the result is in globMatch's escaped
// form and escaped is true.
func expandPattern(s string, ctx map[string][]string, vars bool) (pattern string, escaped, ok bool) {
	if !vars || !strings.Contains(s, "${") {
		return s, false, true
	}
	p, ok := expand(s, ctx, true)
	return p, true, ok
}

// expand replaces each ${key} in s with the single value of key in ctx,
// ${key, 'default'} with the default when key is absent, and the escapes
// ${*}, ${?} and ${$} with a literal '*', '?' and '$'. An unterminated
// "${" is plain text. With glob the result is an escaped pattern.
func expand(s string, ctx map[string][]string, glob bool) (string, bool) {
	var b strings.Builder
	for {
		start := strings.Index(s, "${")
		if start < 0 {
			break
		}
		end := strings.IndexByte(s[start:], '}')
		if end < 0 {
			break
		}
		val, ok := resolve(s[start+2:start+end], ctx)
		if !ok {
			return "", false
		}
		writePolicyText(&b, s[:start], glob)
		writeLiteral(&b, val, glob)
		s = s[start+end+1:]
	}
	writePolicyText(&b, s, glob)
	return b.String(), true
}

// resolve returns the text a variable body (between "${" and "}") stands
// for. A key must have exactly one value: IAM does not substitute
// multivalued keys, and guessing which value was meant would be unsafe.
func resolve(body string, ctx map[string][]string) (string, bool) {
	body = strings.TrimSpace(body)
	switch body {
	case "*", "?", "$":
		return body, true
	}
	key, def, hasDef := splitDefault(body)
	if v := lookup(ctx, key); len(v) == 1 {
		return v[0], true
	}
	return def, hasDef
}

// splitDefault splits "key, 'default'" into its parts.
func splitDefault(body string) (key, def string, ok bool) {
	key, rest, found := strings.Cut(body, ",")
	if !found {
		return body, "", false
	}
	rest = strings.TrimSpace(rest)
	if len(rest) < 2 || rest[0] != '\'' || rest[len(rest)-1] != '\'' {
		return body, "", false
	}
	return strings.TrimSpace(key), rest[1 : len(rest)-1], true
}

// writePolicyText copies text from the policy itself: its * and ? stay
// wildcards, but a backslash must be escaped in an escaped pattern.
func writePolicyText(b *strings.Builder, s string, glob bool) {
	if !glob {
		b.WriteString(s)
		return
	}
	b.WriteString(strings.ReplaceAll(s, `\`, `\\`))
}

// writeLiteral copies substituted text, which matches only itself.
func writeLiteral(b *strings.Builder, s string, glob bool) {
	if !glob {
		b.WriteString(s)
		return
	}
	for _, c := range []byte(s) {
		if c == '*' || c == '?' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
}
