package trail

import (
	"maps"
	"slices"
)

// Share returns the copies of one call's record for every account that
// receives it (spec §10.4): e itself for its recipient, then one copy per
// account of copies (account → that copy's eventID), in account order,
// each with its own eventID and recipientAccountId, showing the caller as
// another account (spec §3.2 AWSAccount). All copies carry sharedEventID;
// a record only one account receives has none.
func Share(e *Event, sharedEventID string, copies map[string]string) []*Event {
	if len(copies) == 0 {
		return []*Event{e}
	}
	e.SharedEventID = sharedEventID
	out := []*Event{e}
	for _, account := range slices.Sorted(maps.Keys(copies)) {
		c := *e // the copies share the read-only maps of e
		c.EventID, c.RecipientAccountID = copies[account], account
		c.UserIdentity = otherAccount(e.UserIdentity)
		out = append(out, &c)
	}
	return out
}

// otherAccount is the caller as the copy of another account shows it: its
// principal id and account, never its ARN, access key or session.
func otherAccount(id *UserIdentity) *UserIdentity {
	if id == nil {
		return nil
	}
	return &UserIdentity{Type: "AWSAccount", PrincipalID: id.PrincipalID, AccountID: id.AccountID, InvokedBy: id.InvokedBy}
}
