package codedeploy

// Tag filter types.
const (
	FilterKeyOnly     = "KEY_ONLY"
	FilterValueOnly   = "VALUE_ONLY"
	FilterKeyAndValue = "KEY_AND_VALUE"
)

// checkTagFilters validates filters; invalid is the operation's exception
// (InvalidTagException, InvalidEC2TagException, InvalidTagFilterException).
func checkTagFilters(filters []TagFilter, invalid string) error {
	for _, f := range filters {
		switch f.Type {
		case FilterKeyOnly:
			if f.Key == "" || f.Value != "" {
				return errorf(invalid, "A KEY_ONLY tag filter needs a key and no value.")
			}
		case FilterValueOnly:
			if f.Value == "" || f.Key != "" {
				return errorf(invalid, "A VALUE_ONLY tag filter needs a value and no key.")
			}
		case FilterKeyAndValue, "":
			if f.Key == "" {
				return errorf(invalid, "A KEY_AND_VALUE tag filter needs a key.")
			}
		default:
			return errorf(invalid, "Unknown tag filter type: %s", f.Type)
		}
	}
	return nil
}

// matchesFilter reports whether tags satisfy one filter.
func matchesFilter(tags []Tag, f TagFilter) bool {
	for _, t := range tags {
		switch f.Type {
		case FilterKeyOnly:
			if t.Key == f.Key {
				return true
			}
		case FilterValueOnly:
			if t.Value == f.Value {
				return true
			}
		default:
			if t.Key == f.Key && t.Value == f.Value {
				return true
			}
		}
	}
	return false
}

// matchesAny reports whether tags satisfy at least one of filters (the
// rule of a group's flat tag filter list).
func matchesAny(tags []Tag, filters []TagFilter) bool {
	for _, f := range filters {
		if matchesFilter(tags, f) {
			return true
		}
	}
	return false
}

// matchesSet reports whether tags satisfy every group of a tag set (each
// group by any of its filters).
func matchesSet(tags []Tag, groups [][]TagFilter) bool {
	if len(groups) == 0 {
		return false
	}
	for _, g := range groups {
		if !matchesAny(tags, g) {
			return false
		}
	}
	return true
}
