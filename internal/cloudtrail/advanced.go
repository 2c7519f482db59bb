package cloudtrail

import "slices"

// advancedFields are the fields trails' advanced selectors may use.
var advancedFields = []string{fieldEventCategory, fieldReadOnly, fieldEventSource, "eventName", "eventType",
	fieldResourcesType, "resources.ARN", "userIdentity.arn", "sessionCredentialFromConsole", "errorCode", "vpcEndpointId"}

// equalsOnly are the fields that take only the Equals operator, with the
// values each accepts.
var equalsOnly = map[string][]string{
	fieldEventCategory: {categoryManagement, categoryData, categoryNetwork},
	fieldReadOnly:      {"true", "false"},
	fieldResourcesType: nil, // any resource type
}

// advancedSelectors validates advanced selectors (spec §6.3).
func advancedSelectors(in []AdvancedEventSelector) ([]AdvancedEventSelector, error) {
	if len(in) == 0 {
		return nil, errorf(CodeInvalidEventSelectors, "You must specify at least one advanced event selector.")
	}
	values := 0
	for _, sel := range in {
		n, err := checkAdvanced(sel)
		if err != nil {
			return nil, err
		}
		values += n
	}
	if values > maxAdvancedValues {
		return nil, errorf(CodeInvalidEventSelectors, "Advanced event selectors can have at most %d condition values in all.", maxAdvancedValues)
	}
	return in, nil
}

// checkAdvanced validates one selector and returns how many condition
// values it has.
func checkAdvanced(sel AdvancedEventSelector) (int, error) {
	if sel.Name != nil && len(*sel.Name) > maxSelectorNameLen {
		return 0, errorf(CodeInvalidEventSelectors, "Advanced event selector name is longer than %d characters.", maxSelectorNameLen)
	}
	if len(sel.FieldSelectors) == 0 {
		return 0, errorf(CodeInvalidEventSelectors, "An advanced event selector needs at least one field selector.")
	}
	values, seen := 0, map[string]AdvancedFieldSelector{}
	for _, f := range sel.FieldSelectors {
		n, err := checkField(f)
		if err != nil {
			return 0, err
		}
		if _, dup := seen[f.Field]; dup {
			return 0, errorf(CodeInvalidEventSelectors, "Field %s appears more than once in an advanced event selector.", f.Field)
		}
		seen[f.Field] = f
		values += n
	}
	cat, ok := seen[fieldEventCategory]
	if !ok || len(cat.Equals) != 1 {
		return 0, errorf(CodeInvalidEventSelectors, "An advanced event selector needs an eventCategory field with one Equals value.")
	}
	switch cat.Equals[0] {
	case categoryManagement:
		return values, checkManagementSelector(seen)
	case categoryData:
		if _, ok := seen[fieldResourcesType]; !ok {
			return 0, errorf(CodeInvalidEventSelectors, "An advanced event selector for data events needs a resources.type field.")
		}
	}
	return values, nil
}

// checkManagementSelector: management selectors on trails accept only
// eventCategory, readOnly and eventSource NotEquals of the two sources a
// trail can exclude.
func checkManagementSelector(fields map[string]AdvancedFieldSelector) error {
	for name, f := range fields {
		switch name {
		case fieldEventCategory, fieldReadOnly:
			continue
		case fieldEventSource:
			if len(f.NotEquals) > 0 && operators(f) == 1 && !slices.ContainsFunc(f.NotEquals, func(v string) bool {
				return v != "kms.amazonaws.com" && v != "rdsdata.amazonaws.com"
			}) {
				continue
			}
		}
		return errorf(CodeInvalidEventSelectors, "Field %s is not valid in an advanced event selector for management events.", name)
	}
	return nil
}

// checkField validates one field selector and returns its value count.
func checkField(f AdvancedFieldSelector) (int, error) {
	if f.Field == "" || len(f.Field) > maxFieldLen || !slices.Contains(advancedFields, f.Field) {
		return 0, errorf(CodeInvalidEventSelectors, "Field %s is not valid in an advanced event selector for a trail.", f.Field)
	}
	if operators(f) == 0 {
		return 0, errorf(CodeInvalidEventSelectors, "Field selector %s needs at least one operator with values.", f.Field)
	}
	n := 0
	for _, list := range [][]string{f.Equals, f.StartsWith, f.EndsWith, f.NotEquals, f.NotStartsWith, f.NotEndsWith} {
		for _, v := range list {
			if len(v) < 1 || len(v) > maxFieldValueLen {
				return 0, errorf(CodeInvalidEventSelectors, "Values of field %s must be 1 to %d characters long.", f.Field, maxFieldValueLen)
			}
		}
		n += len(list)
	}
	if allowed, ok := equalsOnly[f.Field]; ok {
		if operators(f) != 1 || len(f.Equals) == 0 {
			return 0, errorf(CodeInvalidEventSelectors, "Field %s supports only the Equals operator.", f.Field)
		}
		for _, v := range f.Equals {
			if allowed != nil && !slices.Contains(allowed, v) {
				return 0, errorf(CodeInvalidEventSelectors, "Value %s is not valid for field %s.", v, f.Field)
			}
		}
	}
	return n, nil
}

// operators counts the operators of f that have values.
func operators(f AdvancedFieldSelector) int {
	n := 0
	for _, list := range [][]string{f.Equals, f.StartsWith, f.EndsWith, f.NotEquals, f.NotStartsWith, f.NotEndsWith} {
		if len(list) > 0 {
			n++
		}
	}
	return n
}
