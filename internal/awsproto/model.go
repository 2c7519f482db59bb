package awsproto

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/deploytrail/deploytrail/internal/awsproto/models"
)

// Model is a service's API model: its operations and shapes, in botocore's
// format (see package models).
type Model struct {
	Metadata   Metadata              `json:"metadata"`
	Operations map[string]*Operation `json:"operations"`
	Shapes     map[string]*Shape     `json:"shapes"`

	errorStatus map[string]int // error code → HTTP status from the model
	errorShape  map[string]*Shape
}

// Metadata is the part of a model's metadata the codec uses.
type Metadata struct {
	APIVersion     string `json:"apiVersion"`
	EndpointPrefix string `json:"endpointPrefix"`
	Protocol       string `json:"protocol"`
	SigningName    string `json:"signingName"`
	TargetPrefix   string `json:"targetPrefix"`
	XMLNamespace   string `json:"xmlNamespace"`
	ServiceID      string `json:"serviceId"`
}

// Operation is one operation of a model.
type Operation struct {
	Name   string `json:"name"`
	Input  *Ref   `json:"input"`
	Output *struct {
		Ref
		ResultWrapper string `json:"resultWrapper"`
	} `json:"output"`
	Errors []Ref `json:"errors"`
}

// Ref points to a shape, with the serialization hints a reference may add.
type Ref struct {
	ShapeName    string `json:"shape"`
	LocationName string `json:"locationName"`
	Flattened    bool   `json:"flattened"`
	Shape        *Shape `json:"-"`
}

// Shape describes one type of the API.
type Shape struct {
	Name      string          `json:"-"`
	Type      string          `json:"type"`
	Members   map[string]*Ref `json:"members"`
	Required  []string        `json:"required"`
	Member    *Ref            `json:"member"`
	Key       *Ref            `json:"key"`
	Value     *Ref            `json:"value"`
	Min       *float64        `json:"min"`
	Max       *float64        `json:"max"`
	Pattern   string          `json:"pattern"`
	Enum      []string        `json:"enum"`
	Flattened bool            `json:"flattened"`
	Sensitive bool            `json:"sensitive"`
	Exception bool            `json:"exception"`
	Error     *struct {
		Code           string `json:"code"`
		HTTPStatusCode int    `json:"httpStatusCode"`
	} `json:"error"`

	order   []string // member names, sorted, for deterministic output
	regex   *regexp.Regexp
	noRegex bool // the pattern uses syntax RE2 lacks; not enforced
}

var (
	loadedMu sync.Mutex
	loaded   = map[string]*Model{}
)

// LoadModel returns the embedded model of a service ("iam", "sts", …).
func LoadModel(service string) (*Model, error) {
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if m, ok := loaded[service]; ok {
		return m, nil
	}
	raw, err := models.FS.ReadFile(service + ".json")
	if err != nil {
		return nil, fmt.Errorf("load model %q: %w", service, err)
	}
	var m Model
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("parse model %q: %w", service, err)
	}
	if err := m.link(); err != nil {
		return nil, fmt.Errorf("link model %q: %w", service, err)
	}
	loaded[service] = &m
	return &m, nil
}

// MustLoadModel is LoadModel for package initialization of embedded models.
func MustLoadModel(service string) *Model {
	m, err := LoadModel(service)
	if err != nil {
		panic(err)
	}
	return m
}

// link resolves shape references once so the codec never looks names up.
func (m *Model) link() error {
	m.errorStatus = map[string]int{}
	m.errorShape = map[string]*Shape{}
	for name, s := range m.Shapes {
		s.Name = name
		if err := m.linkShape(s); err != nil {
			return err
		}
		if s.Exception {
			code := name
			if s.Error != nil && s.Error.Code != "" {
				code = s.Error.Code
			}
			if s.Error != nil && s.Error.HTTPStatusCode != 0 {
				m.errorStatus[code] = s.Error.HTTPStatusCode
			}
			m.errorShape[code] = s
		}
	}
	for name, op := range m.Operations {
		op.Name = name
		if op.Input != nil {
			if err := m.resolve(op.Input); err != nil {
				return err
			}
		}
		if op.Output != nil {
			if err := m.resolve(&op.Output.Ref); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Model) linkShape(s *Shape) error {
	for _, r := range []*Ref{s.Member, s.Key, s.Value} {
		if r != nil {
			if err := m.resolve(r); err != nil {
				return err
			}
		}
	}
	for name, r := range s.Members {
		if err := m.resolve(r); err != nil {
			return err
		}
		s.order = append(s.order, name)
	}
	sort.Strings(s.order)
	if s.Pattern != "" {
		re, err := regexp.Compile("^(?:" + re2Pattern(s.Pattern) + ")$")
		if err != nil {
			s.noRegex = true
		}
		s.regex = re
	}
	return nil
}

// re2Pattern rewrites the \uXXXX escapes of a model's Java regular
// expression as RE2's \x{XXXX}; without it IAM's path, policy document and
// marker patterns would not compile and go unenforced. Java reads exactly
// four hex digits, so \u10000 is U+1000 followed by "0".
func re2Pattern(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '\\' || i+1 == len(p) {
			b.WriteByte(p[i])
			continue
		}
		if p[i+1] == 'u' && i+6 <= len(p) && isHex(p[i+2:i+6]) {
			b.WriteString(`\x{` + p[i+2:i+6] + "}")
			i += 5
			continue
		}
		b.WriteString(p[i : i+2]) // any other escape, \\ included, stays whole
		i++
	}
	return b.String()
}

func isHex(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

func (m *Model) resolve(r *Ref) error {
	s, ok := m.Shapes[r.ShapeName]
	if !ok {
		return fmt.Errorf("unknown shape %q", r.ShapeName)
	}
	r.Shape = s
	return nil
}

// ErrorStatus returns the HTTP status the model gives an error code, or 0.
func (m *Model) ErrorStatus(code string) int { return m.errorStatus[code] }

// errorMessageMember is the member name the model's exception uses for its
// message: CodeDeploy writes "message", CloudTrail and Organizations
// "Message". SDKs accept both, but we answer as the service does.
func (m *Model) errorMessageMember(code string) string {
	if s, ok := m.errorShape[code]; ok {
		if _, ok := s.Members["Message"]; ok {
			return "Message"
		}
	}
	return "message"
}

// Members returns the member names of a structure in a stable order.
func (s *Shape) MemberNames() []string { return s.order }

// IsRequired reports whether a structure requires member name.
func (s *Shape) IsRequired(name string) bool {
	for _, r := range s.Required {
		if r == name {
			return true
		}
	}
	return false
}

// wireName is the name a member travels under in Query and XML bodies.
func wireName(member string, r *Ref) string {
	if r.LocationName != "" {
		return r.LocationName
	}
	return member
}

// mapEntryNames are the names a map's keys and values travel under in Query
// and XML bodies.
func mapEntryNames(s *Shape) (key, value string) {
	key, value = "key", "value"
	if s.Key.LocationName != "" {
		key = s.Key.LocationName
	}
	if s.Value.LocationName != "" {
		value = s.Value.LocationName
	}
	return key, value
}

// InputShape is the operation's input structure, or nil when it has none.
func (o *Operation) InputShape() *Shape {
	if o.Input == nil {
		return nil
	}
	return o.Input.Shape
}

// OutputShape is the operation's output structure, or nil.
func (o *Operation) OutputShape() *Shape {
	if o.Output == nil {
		return nil
	}
	return o.Output.Shape
}
