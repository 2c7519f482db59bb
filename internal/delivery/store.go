package delivery

import (
	"context"
	"errors"
	"time"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/digest"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// ErrConflict is what BeginDelivery returns when the trail's state moved
// since Targets read it (another intent, another cursor).
var ErrConflict = errors.New("delivery: trail state changed")

// Store is the delivery state the Deliverer needs; package store
// implements it. Each method is one transaction.
type Store interface {
	// Targets returns the trails with work: logging trails, stopped
	// trails with events left up to their StopLogging, deleted trails
	// with events left up to their DeleteTrail, and trails with a pending
	// intent.
	Targets(ctx context.Context) ([]*Target, error)
	// Newest returns the seq of the newest stored event, 0 if none: a
	// pass delivers up to it, so that events arriving during the pass
	// wait for the next one instead of keeping it going.
	Newest(ctx context.Context) (int64, error)
	// Events returns, in seq order, at most q.Limit (all when 0) events
	// with After < seq <= UpTo (no upper bound when UpTo is 0) in q's
	// scope.
	Events(ctx context.Context, q *Query) ([]*Event, error)
	// BeginDelivery records in as the trail's pending intent, provided
	// the trail has none, its cursor is in.From and none of in's events
	// is past its stop point or in one of its Skips (the trail stopped
	// since Targets). Errors: ErrConflict.
	BeginDelivery(ctx context.Context, in *Intent) error
	// FinishDelivery advances the trail's cursor to in.To (never back),
	// clears the intent, stores in.Records and, when in has files,
	// records a successful delivery at at. A deleted trail whose last
	// events are delivered is forgotten.
	FinishDelivery(ctx context.Context, in *Intent, at time.Time) error
	// FailDelivery records a failed attempt with the error code, counts
	// a failure and defers the next attempt to retryAt; the intent and
	// the cursor stay. FinishDelivery clears the count and the deferral.
	FailDelivery(ctx context.Context, arn, code string, at, retryAt time.Time) error
	// NoteNotification records an SNS notification attempt at at: a
	// success when code is "", else its error code.
	NoteNotification(ctx context.Context, arn, code string, at time.Time) error

	// Chains returns a trail's digest chains.
	Chains(ctx context.Context, trailARN string) ([]*Chain, error)
	// PendingDigests returns every chain with a digest recorded but not
	// yet written.
	PendingDigests(ctx context.Context) ([]*Chain, error)
	// OpenChain creates c unless its (trail, account, region) has one.
	OpenChain(ctx context.Context, c *Chain) error
	// UndigestedGroups returns the (account, region) pairs of a trail's
	// delivered log files that no digest lists yet.
	UndigestedGroups(ctx context.Context, trailARN string) ([][2]string, error)
	// DigestFiles returns c's delivered log files that no digest lists
	// yet, in delivery order, with the id of the last.
	DigestFiles(ctx context.Context, c *Chain) ([]digest.LogFile, int64, error)
	// RecordDigest stores c (advanced: Start, Previous, Pending, Final)
	// and forgets its digest files up to lastFile, in one transaction.
	RecordDigest(ctx context.Context, c *Chain, lastFile int64) error
	// DigestWritten clears c's pending digest, forgets c when that
	// digest was its last, and stores records (the data event of its
	// write, when a trail selects it).
	DigestWritten(ctx context.Context, c *Chain, records []*trail.Event) error
	// NoteDigest records a digest write attempt for a trail at at: a
	// success when code is "", else its error code.
	NoteDigest(ctx context.Context, trailARN, code string, at time.Time) error
}

// Chain is a trail's chain of digests for one account and region.
type Chain struct {
	TrailARN, Account, Region string
	// Generation is the trail's StartLoggingTime the chain belongs to: a
	// restarted trail starts new chains.
	Generation time.Time
	// Start is the next digest's digestStartTime.
	Start time.Time
	// Previous links the next digest to the last; nil for a starting one.
	Previous *digest.Link
	// Pending is the digest recorded but not yet written; nil if none.
	Pending *PendingDigest
	// Final is set once the chain's last digest is recorded.
	Final bool
}

// PendingDigest is a digest object to write.
type PendingDigest struct {
	Bucket     string
	Key        string
	Body       []byte
	Metadata   map[string]string
	Encryption objstore.Encryption
}

// Target is a trail with its delivery state.
type Target struct {
	// Key names the trail's delivery state: its ARN, or for a deleted
	// trail's final delivery a key of its own (the ARN may be reused).
	Key   string
	Trail *cloudtrail.Trail
	// Cursor is the last seq delivered or skipped.
	Cursor int64
	// Until is the last seq to deliver after StopLogging or DeleteTrail;
	// 0 while the trail logs.
	Until int64
	// Skips are the events recorded while the trail was stopped, ahead
	// of the cursor, in seq order: never delivered.
	Skips []Range
	// Intent is the pending delivery, nil if none.
	Intent *Intent
	// Failures counts the failed attempts since the last delivery that
	// worked, and no attempt is due before RetryAt: a failing bucket's
	// backoff, kept in the store so that whichever node delivers next
	// keeps it.
	Failures int
	RetryAt  time.Time
}

// Range is the seqs After < seq <= UpTo.
type Range struct{ After, UpTo int64 }

// Contains reports whether seq is in r.
func (r Range) Contains(seq int64) bool { return r.After < seq && seq <= r.UpTo }

// Query selects events from the audit trail. With Account and OrgID
// empty it selects every account; with Region empty, every region.
type Query struct {
	After, UpTo int64
	// Account, and when OrgID is set every account of that organization.
	Account, OrgID string
	Region         string
	Limit          int
}

// Event is a recorded event, with the fields selectors look at.
type Event struct {
	Seq      int64
	EventID  string
	Account  string
	Region   string
	Source   string
	Name     string
	ReadOnly bool
	Time     time.Time // eventTime
	// Category is the eventCategory: trail.CategoryManagement or
	// trail.CategoryData.
	Category string
	// Resources and UserARN (userIdentity.arn) are read from a data
	// event's record, for data selectors; management events leave them
	// empty.
	Resources []trail.Resource
	UserARN   string
	// Record is the CloudTrail record as stored, compact JSON.
	Record string
}

// Intent is a delivery about to happen: the trail's events After From
// up to To (inclusive) go into Files, which are written to Bucket. It is
// stored before the first file is written, so that a delivery
// interrupted anywhere is redone with the same keys and contents.
type Intent struct {
	// TrailARN is the Target's Key.
	TrailARN   string
	From, To   int64
	Time       time.Time
	Bucket     string
	Encryption objstore.Encryption
	Files      []File
	// DigestTrail is the trail's ARN when it validates log files: its
	// files are then listed for the next digests when the delivery
	// finishes.
	DigestTrail string `json:",omitempty"`

	// events are the selected events, by seq, when the intent was just
	// planned (not stored: a redone intent reads them again).
	events map[int64]*Event
	// Records are the data events of CloudTrail's writes of Files that a
	// trail selects, made once the files are written (not stored):
	// FinishDelivery stores them.
	Records []*trail.Event `json:"-"`
}

// File is one log file of an intent: the events Seqs (in order) of one
// account and region.
type File struct {
	Key             string
	Account, Region string
	Seqs            []int64
	// Written describes the file once written (not stored with the
	// intent): what its digest lists.
	Written *digest.LogFile `json:"-"`
}
