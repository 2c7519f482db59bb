package console

import (
	"html/template"
	"math"
	"net/url"
	"strings"
	"time"
)

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	// ts formats a JSON 1.1 timestamp (seconds since the epoch).
	"ts": func(v any) string {
		f, ok := v.(float64)
		if !ok {
			return "—"
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"path":       url.PathEscape,
	"query":      url.QueryEscape,
	"statuses":   func() []string { return deploymentStatuses },
	"lookupKeys": func() []string { return lookupKeys },
	"inc":        func(i int) int { return i + 1 },
	// fromConsole tells whether a record says sessionCredentialFromConsole.
	"fromConsole": func(record any) bool {
		s, _ := record.(string)
		return strings.Contains(s, `"sessionCredentialFromConsole":"true"`)
	},
}

func pathEscape(s string) string { return url.PathEscape(s) }
