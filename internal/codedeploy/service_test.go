package codedeploy

import (
	"sort"
	"testing"
)

// TestEveryOperationIsServed checks that each of the model's 47
// operations has a handler.
func TestEveryOperationIsServed(t *testing.T) {
	s := New(nil, []byte("k"))
	var missing []string
	for name := range s.API.Model.Operations {
		if s.API.Op(name) == nil {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(s.API.Model.Operations) != 47 || len(missing) > 0 {
		t.Fatalf("model has %d operations; not served: %v", len(s.API.Model.Operations), missing)
	}
}
