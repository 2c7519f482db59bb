package policy

import (
	"encoding/json"
	"strings"
)

// setQualifier is a condition operator's ForAllValues:/ForAnyValue: prefix.
type setQualifier int

const (
	noQualifier setQualifier = iota
	forAllValues
	forAnyValue
)

// condOp is a fully decoded condition operator name.
type condOp struct {
	base     *baseOp // nil for Null
	null     bool
	set      setQualifier
	ifExists bool
}

// parseOperator decodes an operator name such as
// "ForAnyValue:StringLikeIfExists". Null takes no prefix or suffix: it
// tests whether a key is present, which they would contradict.
func parseOperator(name string) (condOp, bool) {
	var op condOp
	rest := name
	if r, ok := strings.CutPrefix(rest, "ForAllValues:"); ok {
		op.set, rest = forAllValues, r
	} else if r, ok := strings.CutPrefix(rest, "ForAnyValue:"); ok {
		op.set, rest = forAnyValue, r
	}
	if r, ok := strings.CutSuffix(rest, "IfExists"); ok {
		op.ifExists, rest = true, r
	}
	if rest == "Null" {
		op.null = true
		return op, op.set == noQualifier && !op.ifExists
	}
	op.base = operators[rest]
	return op, op.base != nil
}

// parseConditionBlock reads a Condition element: an object of operator
// blocks, each an object of condition keys and their values.
func parseConditionBlock(raw json.RawMessage, vars bool) ([]Condition, error) {
	blocks, err := objectMembers(raw)
	if err != nil {
		return nil, err
	}
	var out []Condition
	for _, blk := range blocks {
		op, ok := parseOperator(blk.name)
		if !ok {
			return nil, malformed("Invalid Condition type : %s", blk.name)
		}
		keys, err := objectMembers(blk.value)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			c, err := parseCondition(op, blk.name, k, vars)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// parseCondition reads one key of an operator block. Date values are
// checked here because IAM refuses a policy with an unparseable date.
func parseCondition(op condOp, name string, m member, vars bool) (Condition, error) {
	if !strings.Contains(m.name, ":") {
		return Condition{}, malformed(MsgVendor)
	}
	values, err := scalarList(m.value)
	if err != nil {
		return Condition{}, err
	}
	if op.base != nil && op.base.date {
		for _, v := range values {
			if _, ok := parseDate(v); !ok && !(vars && strings.Contains(v, "${")) {
				return Condition{}, malformed(MsgLegacyParsing)
			}
		}
	}
	return Condition{Operator: name, Key: m.name, Values: values}, nil
}

// holds reports whether c is satisfied by the request context.
//
// With the key absent: IfExists and ForAllValues hold, ForAnyValue does
// not, and otherwise only negated operators hold (IAM's "the value is not
// one of these" is true of a missing value). With the key present, each
// request value is tested against the policy values (any may match);
// ForAllValues and plain negated operators need every request value to
// pass, the others need one.
func (c *Condition) holds(ctx map[string][]string, vars bool) bool {
	op, ok := parseOperator(c.Operator)
	if !ok {
		return false
	}
	values := lookup(ctx, c.Key)
	if op.null {
		return nullHolds(len(values) > 0, c.Values)
	}
	if len(values) == 0 {
		return op.absentHolds()
	}
	all := op.set == forAllValues || (op.set == noQualifier && op.base.negated)
	for _, r := range values {
		ok := op.base.satisfied(r, c.Values, ctx, vars)
		if ok != all {
			return ok
		}
	}
	return all
}

// absentHolds is the result of op when the key is not in the request.
func (op condOp) absentHolds() bool {
	switch {
	case op.ifExists || op.set == forAllValues:
		return true
	case op.set == forAnyValue:
		return false
	}
	return op.base.negated
}

// nullHolds evaluates Null: "true" asks for the key to be absent, "false"
// for it to be present.
func nullHolds(present bool, policyValues []string) bool {
	for _, p := range policyValues {
		if absent, ok := parseBool(p); ok && absent != present {
			return true
		}
	}
	return false
}

// satisfied reports whether request value r passes b against the policy
// values: for a positive operator some value matches, for a negated one
// none does. A policy value whose variable cannot be resolved matches
// nothing.
func (b *baseOp) satisfied(r string, policyValues []string, ctx map[string][]string, vars bool) bool {
	for _, p := range policyValues {
		if b.matchOne(r, p, ctx, vars) {
			return !b.negated
		}
	}
	return b.negated
}

// matchOne expands policy variables in p and matches r against it.
func (b *baseOp) matchOne(r, p string, ctx map[string][]string, vars bool) bool {
	if b.glob {
		pattern, escaped, ok := expandPattern(p, ctx, vars)
		return ok && b.match(r, pattern, escaped)
	}
	v, ok := expandValue(p, ctx, vars)
	return ok && b.match(r, v, false)
}
