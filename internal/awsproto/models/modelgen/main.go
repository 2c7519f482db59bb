// Command modelgen trims botocore API models to the operations deploytrail
// serves. It keeps the facts the wire codec needs (shapes, constraints,
// error codes, XML names) and drops documentation, so the binary embeds a
// few hundred kilobytes instead of megabytes.
//
// Usage (see models.go for the go:generate line):
//
//	go run ./modelgen -src ../../../../shared/models -service iam -ops CreateUser,GetUser > iam.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	src := flag.String("src", "", "directory holding botocore <service>-<version>.json models")
	service := flag.String("service", "", "model file prefix, e.g. iam")
	ops := flag.String("ops", "", "comma-separated operations to keep; empty keeps all")
	flag.Parse()
	if err := run(*src, *service, *ops); err != nil {
		fmt.Fprintln(os.Stderr, "modelgen:", err)
		os.Exit(1)
	}
}

func run(src, service, ops string) error {
	matches, err := filepath.Glob(filepath.Join(src, service+"-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].json"))
	if err != nil || len(matches) == 0 {
		return fmt.Errorf("no model for %q in %s", service, src)
	}
	sort.Strings(matches)
	raw, err := os.ReadFile(matches[len(matches)-1])
	if err != nil {
		return err
	}
	var model map[string]any
	if err := json.Unmarshal(raw, &model); err != nil {
		return fmt.Errorf("parse %s: %w", matches[0], err)
	}
	trimmed := trim(model, ops)
	out, err := json.MarshalIndent(trimmed, "", " ")
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(out, '\n'))
	return err
}

// trim keeps the wanted operations and every shape they reach.
func trim(model map[string]any, ops string) map[string]any {
	allOps := model["operations"].(map[string]any)
	shapes := model["shapes"].(map[string]any)
	keep := map[string]any{}
	for name, op := range allOps {
		if ops == "" || contains(strings.Split(ops, ","), name) {
			keep[name] = strip(op)
		}
	}
	reached := map[string]any{}
	for _, op := range keep {
		o := op.(map[string]any)
		for _, k := range []string{"input", "output"} {
			if ref, ok := o[k].(map[string]any); ok {
				reach(shapes, ref["shape"].(string), reached)
			}
		}
		for _, e := range asList(o["errors"]) {
			reach(shapes, e.(map[string]any)["shape"].(string), reached)
		}
	}
	meta := model["metadata"].(map[string]any)
	return map[string]any{"metadata": meta, "operations": keep, "shapes": reached}
}

func reach(shapes map[string]any, name string, seen map[string]any) {
	if _, ok := seen[name]; ok {
		return
	}
	shape := strip(shapes[name]).(map[string]any)
	seen[name] = shape
	for _, k := range []string{"member", "key", "value"} {
		if ref, ok := shape[k].(map[string]any); ok {
			reach(shapes, ref["shape"].(string), seen)
		}
	}
	if members, ok := shape["members"].(map[string]any); ok {
		for _, m := range members {
			reach(shapes, m.(map[string]any)["shape"].(string), seen)
		}
	}
}

// strip removes documentation recursively; member order is not kept by
// encoding/json, so the codec sorts members when it needs an order.
func strip(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range t {
			if k == "documentation" || k == "documentationUrl" || k == "examples" {
				continue
			}
			out[k] = strip(val)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			out[i] = strip(val)
		}
		return out
	}
	return v
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.TrimSpace(x) == s {
			return true
		}
	}
	return false
}
