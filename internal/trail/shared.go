package trail

import (
	"maps"
	"slices"
)

// Share returns the copies of one call's record for every account that
// receives it (spec §10.4): e itself for its recipient, then one copy per
// account of copies (account → that copy's eventID), in account order,
// each with its own eventID and recipientAccountId. All copies carry
// sharedEventID; a record only one account receives has none.
func Share(e *Event, sharedEventID string, copies map[string]string) []*Event {
	if len(copies) == 0 {
		return []*Event{e}
	}
	e.SharedEventID = sharedEventID
	out := []*Event{e}
	for _, account := range slices.Sorted(maps.Keys(copies)) {
		c := *e // the copies share the read-only maps of e
		c.EventID, c.RecipientAccountID = copies[account], account
		out = append(out, &c)
	}
	return out
}
