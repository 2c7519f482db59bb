package awsproto

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Protocol is the wire protocol of a service.
type Protocol int

// The protocols AWS clients speak to the services we serve.
const (
	JSON  Protocol = iota + 1 // AWS JSON 1.1: POST /, X-Amz-Target
	Query                     // AWS Query: Action=…&Version=…, XML responses
)

// Service is one AWS service deploytrail serves: its model, how it talks,
// and its operations with what each needs to be authorized.
type Service struct {
	Name        string // SigV4 signing name and IAM action prefix: iam, sts, codedeploy…
	EventSource string // CloudTrail eventSource: iam.amazonaws.com
	Model       *Model
	Protocol    Protocol
	// ValidationCode answers constraint violations: ValidationException for
	// most JSON services, ValidationError for IAM and STS.
	ValidationCode string
	// OwnValidation is set for services that answer every invalid input
	// with their own specific exception (CodeDeploy's
	// InvalidApplicationNameException and the like) instead of the model's
	// generic constraint check.
	OwnValidation bool
	// GlobalRegion is set for global services (IAM, STS, Organizations),
	// whose events AWS records in us-east-1 whatever the caller's region.
	GlobalRegion string
	// ErrorCodes renames generic error codes for this service: SNS
	// answers a denial with AuthorizationError, not AccessDenied.
	ErrorCodes map[string]string
	// Unaudited is set for services whose calls are not CloudTrail events
	// (the agent command service, unless recording is configured): they
	// are authenticated and authorized like any other, but not recorded.
	Unaudited bool

	ops map[string]*Op
}

// Op is one served operation.
type Op struct {
	Name     string
	Model    *Operation
	ReadOnly bool // CloudTrail's readOnly, by AWS's naming convention
	// Mutates is set for operations that change state, which commit with
	// their audit event; !ReadOnly unless the service says otherwise.
	Mutates bool
	// Action is the IAM action authorized before Invoke; "" means the
	// operation needs no permission (sts:GetCallerIdentity) or authorizes
	// itself (sts:AssumeRole, which also checks the role's trust policy).
	Action string
	// Resource returns the ARN the action is authorized on; nil means "*".
	// An error fails the call: authorization never falls back to "*".
	Resource ResourceFunc
	// EventResources lists the resources the call's CloudTrail record
	// names; nil means none (see Service.RecordResources).
	EventResources EventResourcesFunc
	// Anonymous is set for operations AWS also serves without a
	// signature (SNS's ConfirmSubscription and Unsubscribe links, which
	// subscribers open with a plain GET). It names the account and region
	// the call acts in, from the decoded params; ok is false when the
	// params name none, and the request is then refused as unauthenticated.
	Anonymous func(p Params) (account, region string, ok bool)
	Invoke    func(ctx context.Context, p Params) (any, error)
	// Hold is how long the operation may take to answer when it waits on
	// purpose (a long poll); the server lets the response wait that long.
	Hold time.Duration
}

// ResourceFunc names the resource ARN an operation acts on. It may look
// the resource up (a deployment's group, by deployment id); ctx carries
// the call. A lookup that fails returns the error, and the call fails
// with it (InternalFailure) rather than being authorized on "*", which
// would skip a Deny on the resource's ARN. A resource that does not exist
// is not an error: the function names the ARN it would have (or "*"), and
// the operation answers its NotFound error once authorized.
type ResourceFunc func(ctx context.Context, call *Call, p Params) (string, error)

// Handle registers fn as the operation name of s. The input is bound from
// the validated params; the output is encoded by the model.
func Handle[In, Out any](s *Service, name string, fn func(context.Context, *In) (*Out, error)) {
	mop, ok := s.Model.Operations[name]
	if !ok {
		panic(fmt.Sprintf("awsproto: %s has no operation %s in its model", s.Name, name))
	}
	if s.ops == nil {
		s.ops = map[string]*Op{}
	}
	s.ops[name] = &Op{
		Name:     name,
		Model:    mop,
		ReadOnly: IsReadOnly(name),
		Mutates:  !IsReadOnly(name),
		Action:   s.Name + ":" + name,
		Invoke: func(ctx context.Context, p Params) (any, error) {
			in := new(In)
			if err := Bind(p, in); err != nil {
				return nil, err
			}
			return fn(ctx, in)
		},
	}
}

// Authorize declares the resources of a service's operations: one table per
// service, so that every action and its ARN stand in one place. An
// operation missing from the table is authorized on "*".
func (s *Service) Authorize(resources map[string]ResourceFunc) {
	for name, fn := range resources {
		op, ok := s.ops[name]
		if !ok {
			panic(fmt.Sprintf("awsproto: %s authorizes unknown operation %s", s.Name, name))
		}
		op.Resource = fn
	}
}

// Mutating marks operations that change state although their names read
// like reads (STS's GetSessionToken issues credentials).
func (s *Service) Mutating(names ...string) {
	for _, name := range names {
		s.ops[name].Mutates = true
	}
}

// AllowAnonymous lets operation name be called without a signature; scope
// names the account and region such a call acts in (see Op.Anonymous).
// Anonymous calls are not authorized by IAM: the operation checks what
// the caller presents (a confirmation token).
func (s *Service) AllowAnonymous(name string, scope func(p Params) (account, region string, ok bool)) {
	s.ops[name].Anonymous = scope
}

// AnonymousOp returns the operation name when it may be called without a
// signature, else nil.
func (s *Service) AnonymousOp(name string) *Op {
	if op := s.ops[name]; op != nil && op.Anonymous != nil {
		return op
	}
	return nil
}

// SelfAuthorized marks operations that decide their own authorization.
func (s *Service) SelfAuthorized(names ...string) {
	for _, name := range names {
		s.ops[name].Action = ""
	}
}

// Op returns the operation name, or nil when s does not serve it.
func (s *Service) Op(name string) *Op { return s.ops[name] }

// OpNames lists the served operations, sorted.
func (s *Service) OpNames() []string {
	names := make([]string, 0, len(s.ops))
	for n := range s.ops {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// TargetPrefixes are the X-Amz-Target prefixes clients use for s: the
// model's, and its last dotted part (botocore sends
// com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101, the Go SDK
// CloudTrail_20131101).
func (s *Service) TargetPrefixes() []string {
	p := s.Model.Metadata.TargetPrefix
	if p == "" {
		return nil
	}
	if i := strings.LastIndex(p, "."); i >= 0 {
		return []string{p, p[i+1:]}
	}
	return []string{p}
}

// IsReadOnly reports whether an operation cannot change state, by AWS's
// naming convention (CloudTrail's readOnly).
func IsReadOnly(op string) bool {
	for _, p := range []string{"Get", "List", "Describe", "BatchGet", "Lookup", "Head"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}
