package policy

import (
	"strings"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s    string
		fold, escaped bool
		want          bool
	}{
		{pattern: "", s: "", want: true},
		{pattern: "", s: "a", want: false},
		{pattern: "*", s: "", want: true},
		{pattern: "*", s: "arn:aws:s3:::b/k", want: true},
		{pattern: "a*c", s: "abbbc", want: true},
		{pattern: "a*c", s: "abbbd", want: false},
		{pattern: "a*b*c", s: "a-b-b-c", want: true},
		{pattern: "?", s: "é", want: true},
		{pattern: "??", s: "é", want: false},
		{pattern: "ab?", s: "ab", want: false},
		{pattern: "**a", s: "bba", want: true},
		{pattern: "GetObject", s: "getobject", want: false},
		{pattern: "GetObject", s: "getobject", fold: true, want: true},
		{pattern: "Straße", s: "STRASSE", fold: true, want: false},
		{pattern: "é", s: "É", fold: true, want: true},
		{pattern: "\xff", s: "\xfe", fold: true, want: false},
		{pattern: `a\*`, s: "a*", escaped: true, want: true},
		{pattern: `a\*`, s: "ab", escaped: true, want: false},
		{pattern: `a\?*`, s: "a?bc", escaped: true, want: true},
		{pattern: `a\\`, s: `a\`, escaped: true, want: true},
		{pattern: `a\`, s: `a\`, escaped: true, want: true},
		{pattern: `a\*`, s: `a\x`, want: true},
		{pattern: strings.Repeat("*a", 30) + "b", s: strings.Repeat("a", 200), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.s, func(t *testing.T) {
			if got := globMatch(tt.pattern, tt.s, tt.fold, tt.escaped); got != tt.want {
				t.Fatalf("globMatch(%q, %q, %v, %v)=%v, want %v", tt.pattern, tt.s, tt.fold, tt.escaped, got, tt.want)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	ctx := map[string][]string{
		"aws:username":   {"al*ce"},
		"aws:TagKeys":    {"a", "b"},
		"aws:userid":     {`AIDA\X`},
		"aws:SourceVpce": {},
	}
	tests := []struct {
		name   string
		in     string
		glob   bool
		want   string
		wantOK bool
	}{
		{"Plain", "home/${aws:username}", false, "home/al*ce", true},
		{"GlobEscapesValue", "home/${aws:username}/*", true, `home/al\*ce/*`, true},
		{"GlobEscapesBackslash", `x\${aws:userid}`, true, `x\\AIDA\\X`, true},
		{"KeyCaseInsensitive", "${AWS:USERNAME}", false, "al*ce", true},
		{"SpacesInBraces", "${ aws:username }", false, "al*ce", true},
		{"Missing", "${aws:PrincipalTag/team}", false, "", false},
		{"EmptyListIsMissing", "${aws:SourceVpce}", false, "", false},
		{"Multivalued", "${aws:TagKeys}", false, "", false},
		{"Default", "${aws:PrincipalTag/team, 'none'}", false, "none", true},
		{"DefaultUnused", "${aws:username,'none'}", false, "al*ce", true},
		{"DefaultUnquoted", "${aws:PrincipalTag/team, none}", false, "", false},
		{"EscapeStar", "${*}", true, `\*`, true},
		{"EscapeQuestion", "${?}", true, `\?`, true},
		{"EscapeDollar", "${$}{x}", false, "${x}", true},
		{"Unterminated", "a${aws:username", false, "a${aws:username", true},
		{"Two", "${aws:username}/${aws:username}", false, "al*ce/al*ce", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := expand(tt.in, ctx, tt.glob)
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("expand(%q)=(%q, %v), want (%q, %v)", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
