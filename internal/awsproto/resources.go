package awsproto

import "fmt"

// Resource is a resource a call acts on, as its CloudTrail record lists
// it in resources: the ARN, the account that owns it and its type
// (AWS::IAM::Role).
type Resource struct {
	ARN, AccountID, Type string
}

// EventResourcesFunc names the resources a call's record lists, from the
// call and its decoded params (nil when the request could not be
// decoded). It must be pure: it runs for failed calls too.
type EventResourcesFunc func(call *Call, p Params) []Resource

// RecordResources declares the resources that operations' records list
// (spec §2.2 resources), where AWS lists them. A resource owned by
// another account than the caller's makes the call cross-account: its
// owner receives its own copy of the record (spec §10.4).
func (s *Service) RecordResources(fns map[string]EventResourcesFunc) {
	for name, fn := range fns {
		op, ok := s.ops[name]
		if !ok {
			panic(fmt.Sprintf("awsproto: %s records resources of unknown operation %s", s.Name, name))
		}
		op.EventResources = fn
	}
}
