package codedeploy

import (
	"slices"
	"testing"
)

func TestNewPlan(t *testing.T) {
	tests := []struct {
		name     string
		hosts    *MinimumHealthyHosts
		n        int
		m, b     int
		failCode string
	}{
		{"OneAtATime 10", &MinimumHealthyHosts{Type: "MOST_CONCURRENCY", Value: 1}, 10, 9, 1, ""},
		{"OneAtATime 1", &MinimumHealthyHosts{Type: "MOST_CONCURRENCY", Value: 1}, 1, 0, 1, ""},
		{"HOST_COUNT 8 of 10", &MinimumHealthyHosts{Type: "HOST_COUNT", Value: 8}, 10, 8, 2, ""},
		{"AllAtOnce 10", &MinimumHealthyHosts{Type: "HOST_COUNT", Value: 0}, 10, 0, 10, ""},
		{"HOST_COUNT 6 of 9", &MinimumHealthyHosts{Type: "HOST_COUNT", Value: 6}, 9, 6, 3, ""},
		{"FLEET_PERCENT 40 of 10", &MinimumHealthyHosts{Type: "FLEET_PERCENT", Value: 40}, 10, 4, 6, ""},
		{"HalfAtATime 5 rounds up", &MinimumHealthyHosts{Type: "FLEET_PERCENT", Value: 50}, 5, 3, 2, ""},
		{"FLEET_PERCENT 95 of 10", &MinimumHealthyHosts{Type: "FLEET_PERCENT", Value: 95}, 10, 0, 0, errHealthConstraintsInvalid},
		{"HalfAtATime on 1", &MinimumHealthyHosts{Type: "FLEET_PERCENT", Value: 50}, 1, 0, 0, errHealthConstraintsInvalid},
		{"no instances", &MinimumHealthyHosts{Type: "HOST_COUNT", Value: 0}, 0, 0, 0, errNoInstances},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, fail := newPlan(tt.hosts, tt.n)
			if tt.failCode != "" {
				if fail == nil || fail.Code != tt.failCode {
					t.Fatalf("fail=%+v, want %s", fail, tt.failCode)
				}
				return
			}
			if fail != nil || p.MinHealthy != tt.m || p.BatchSize != tt.b {
				t.Fatalf("M, B, fail=%d, %d, %+v, want %d, %d", p.MinHealthy, p.BatchSize, fail, tt.m, tt.b)
			}
		})
	}
}

// simulate runs a plan over n instances, dispatched in order, where the
// instances in fails fail, one completion at a time (the oldest dispatched
// first). It returns the outcome and the batches: the instances dispatched
// at each step.
func simulate(p Plan, n int, fails ...int) (string, [][]int) {
	var batches [][]int
	var running []int
	next := 0
	c := progress{pending: n}
	for {
		k, outcome := p.step(c)
		if outcome != "" {
			return outcome, batches
		}
		if k > 0 {
			var batch []int
			for range k {
				batch, running = append(batch, next), append(running, next)
				next++
			}
			batches = append(batches, batch)
			c.pending, c.inFlight = c.pending-k, c.inFlight+k
			continue
		}
		done := running[0]
		running = running[1:]
		c.inFlight--
		if slices.Contains(fails, done) {
			c.failed++
		} else {
			c.succeeded++
		}
	}
}

// TestPlanStep checks every worked example of spec §5.3.
func TestPlanStep(t *testing.T) {
	plan := func(h MinimumHealthyHosts, n int) Plan {
		p, fail := newPlan(&h, n)
		if fail != nil {
			t.Fatalf("plan: %+v", fail)
		}
		return p
	}
	oneAtATime := MinimumHealthyHosts{Type: "MOST_CONCURRENCY", Value: 1}
	tests := []struct {
		name        string
		plan        Plan
		n           int
		fails       []int
		want        string
		wantBatches [][]int
	}{
		{"M=9 one at a time, all succeed", plan(oneAtATime, 10), 10, nil, StatusSucceeded,
			[][]int{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}}},
		{"M=9 a failure before the last fails it", plan(oneAtATime, 10), 10, []int{3}, StatusFailed,
			[][]int{{0}, {1}, {2}, {3}}},
		{"M=9 a failure of the last instance is forgiven", plan(oneAtATime, 10), 10, []int{9}, StatusSucceeded,
			[][]int{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}}},
		{"HOST_COUNT 9 of 10 is one at a time too", plan(MinimumHealthyHosts{Type: "HOST_COUNT", Value: 9}, 10), 10, []int{0}, StatusFailed,
			[][]int{{0}}},
		{"one instance must succeed", plan(oneAtATime, 1), 1, []int{0}, StatusFailed, [][]int{{0}}},
		{"M=8 two at a time", plan(MinimumHealthyHosts{Type: "HOST_COUNT", Value: 8}, 10), 10, nil, StatusSucceeded,
			[][]int{{0, 1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}}},
		{"M=8 one failure goes on one at a time", plan(MinimumHealthyHosts{Type: "HOST_COUNT", Value: 8}, 10), 10, []int{1}, StatusSucceeded,
			[][]int{{0, 1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}}},
		{"M=8 a second failure fails it", plan(MinimumHealthyHosts{Type: "HOST_COUNT", Value: 8}, 10), 10, []int{1, 4}, StatusFailed,
			[][]int{{0, 1}, {2}, {3}, {4}}},
		{"M=8 a second failure on the last instance is forgiven", plan(MinimumHealthyHosts{Type: "HOST_COUNT", Value: 8}, 10), 10, []int{1, 9}, StatusSucceeded,
			[][]int{{0, 1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}}},
		{"M=0 all at once, one success is enough", plan(MinimumHealthyHosts{Type: "HOST_COUNT", Value: 0}, 10), 10, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}, StatusSucceeded,
			[][]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}},
		{"M=0 fails only if all fail", plan(MinimumHealthyHosts{Type: "HOST_COUNT", Value: 0}, 10), 10, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, StatusFailed,
			[][]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}},
		{"9 instances HOST_COUNT 6: 3 at a time", plan(MinimumHealthyHosts{Type: "HOST_COUNT", Value: 6}, 9), 9, nil, StatusSucceeded,
			[][]int{{0, 1, 2}, {3}, {4}, {5}, {6}, {7}, {8}}},
		{"9 instances HOST_COUNT 6: three failures fail it", plan(MinimumHealthyHosts{Type: "HOST_COUNT", Value: 6}, 9), 9, []int{0, 1, 2}, StatusFailed,
			[][]int{{0, 1, 2}}},
		{"9 instances HOST_COUNT 6: needs 6 successes", plan(MinimumHealthyHosts{Type: "HOST_COUNT", Value: 6}, 9), 9, []int{6, 7}, StatusSucceeded,
			[][]int{{0, 1, 2}, {3}, {4}, {5}, {6}, {7}, {8}}},
		{"FLEET_PERCENT 40: M=4, 6 at a time", plan(MinimumHealthyHosts{Type: "FLEET_PERCENT", Value: 40}, 10), 10, nil, StatusSucceeded,
			[][]int{{0, 1, 2, 3, 4, 5}, {6}, {7}, {8}, {9}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, batches := simulate(tt.plan, tt.n, tt.fails...)
			if got != tt.want || !slices.EqualFunc(batches, tt.wantBatches, slices.Equal) {
				t.Fatalf("outcome=%s batches=%v, want %s %v", got, batches, tt.want, tt.wantBatches)
			}
		})
	}
}

func TestDispatchOrder(t *testing.T) {
	health := map[string]instanceHealth{
		"a-current": {healthy: true, revision: "v2"},
		"b-old":     {healthy: true, revision: "v1"},
		"c-failed":  {healthy: false, revision: "v2"},
		"e-old":     {healthy: true, revision: "v0"},
	}
	got := dispatchOrder([]string{"a-current", "b-old", "c-failed", "d-new", "e-old"}, health, "v2")
	// Unhealthy first (never deployed counts as unhealthy: d-new has no
	// revision, c-failed has one), then Old, then Current.
	want := []string{"d-new", "c-failed", "b-old", "e-old", "a-current"}
	if !slices.Equal(got, want) {
		t.Fatalf("order=%v, want %v", got, want)
	}
}
