package codedeploy

import (
	"cmp"
	"slices"
)

// The minimum-healthy-hosts rules (spec §5.2–5.3): how many instances must
// stay healthy, how many may run at once, and when a deployment has
// succeeded or can no longer succeed.

// Plan is how a deployment runs its instances; it is fixed when the
// deployment starts and stored with it, so that a restart (or another
// engine) goes on in the same order.
type Plan struct {
	MinHealthy int      // M
	BatchSize  int      // B
	Order      []string // target ids, in the order they are dispatched
}

// Error codes of deployments the engine ends (enum ErrorCode, spec §6.7).
const (
	errNoInstances              = "NO_INSTANCES"
	errHealthConstraints        = "HEALTH_CONSTRAINTS"
	errHealthConstraintsInvalid = "HEALTH_CONSTRAINTS_INVALID"
)

// newPlan computes M and B for n instances under hosts (spec §5.2), or
// says why the deployment must fail at once.
func newPlan(hosts *MinimumHealthyHosts, n int) (Plan, *ErrorInformation) {
	if n == 0 {
		return Plan{}, &ErrorInformation{Code: errNoInstances,
			Message: "The deployment failed because no instances were found for your deployment group. Check your deployment group settings to make sure the tags for your on-premises instances are correct."}
	}
	h := cmp.Or(hosts, &MinimumHealthyHosts{Type: "MOST_CONCURRENCY", Value: 1})
	var m int
	switch h.Type {
	case "HOST_COUNT":
		m = h.Value
	case "FLEET_PERCENT":
		m = (n*h.Value + 99) / 100 // fractions round up
	default: // MOST_CONCURRENCY: OneAtATime
		return Plan{MinHealthy: max(n-1, 0), BatchSize: 1}, nil
	}
	if m >= n {
		return Plan{}, &ErrorInformation{Code: errHealthConstraintsInvalid,
			Message: "The deployment failed because the minimum number of healthy instances cannot be met by the number of instances in your deployment group."}
	}
	return Plan{MinHealthy: m, BatchSize: n - m}, nil
}

// progress counts a running deployment's instances (spec §5.3).
type progress struct{ pending, inFlight, succeeded, failed int }

// step applies §5.3's rule: how many pending instances to dispatch now,
// and the deployment's outcome once it has one ("" while it runs).
func (p Plan) step(c progress) (dispatch int, outcome string) {
	dispatch = min(c.pending, max(p.BatchSize-c.failed-c.inFlight, 0))
	switch {
	case c.pending > 0 && c.inFlight == 0 && dispatch == 0:
		return 0, StatusFailed
	case c.pending == 0 && c.inFlight == 0 && c.succeeded >= max(p.MinHealthy, 1):
		return 0, StatusSucceeded
	case c.pending == 0 && c.inFlight == 0:
		return 0, StatusFailed
	}
	return dispatch, ""
}

// healthConstraints is the error of a deployment too many of whose
// instances failed.
func healthConstraints() *ErrorInformation {
	return &ErrorInformation{Code: errHealthConstraints,
		Message: "The overall deployment failed because too many individual instances failed deployment, too few healthy instances are available for deployment, or some instances in your deployment group are experiencing problems."}
}

// instanceHealth is what earlier deployments of a group left on one of
// its instances (spec §5.2 step 5).
type instanceHealth struct {
	healthy  bool   // its last deployment in the group succeeded
	revision string // revisionKey of the last revision it received; "" if none
}

// revision health ranks: instances without a revision first, then those
// with an old one, then those already current.
const (
	revisionUnknown = iota
	revisionOld
	revisionCurrent
)

// dispatchOrder orders targets for dispatch: unhealthy instances first,
// then by revision health Unknown, Old, Current (current = the group's
// target revision), then by name.
func dispatchOrder(ids []string, health map[string]instanceHealth, current string) []string {
	rank := func(id string) (int, int) {
		h := health[id]
		healthy, rev := 0, revisionUnknown
		if h.healthy {
			healthy = 1
		}
		switch {
		case h.revision == "":
		case h.revision == current:
			rev = revisionCurrent
		default:
			rev = revisionOld
		}
		return healthy, rev
	}
	out := slices.Clone(ids)
	slices.SortStableFunc(out, func(a, b string) int {
		ha, ra := rank(a)
		hb, rb := rank(b)
		return cmp.Or(cmp.Compare(ha, hb), cmp.Compare(ra, rb), cmp.Compare(a, b))
	})
	return out
}
