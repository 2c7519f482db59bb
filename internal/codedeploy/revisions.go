package codedeploy

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// Error codes of the revision operations.
const (
	CodeInvalidSortBy              = "InvalidSortByException"
	CodeInvalidSortOrder           = "InvalidSortOrderException"
	CodeInvalidBucketNameFilter    = "InvalidBucketNameFilterException"
	CodeInvalidKeyPrefixFilter     = "InvalidKeyPrefixFilterException"
	CodeBucketNameFilterRequired   = "BucketNameFilterRequiredException"
	CodeInvalidDeployedStateFilter = "InvalidDeployedStateFilterException"
	CodeRevisionDoesNotExist       = "RevisionDoesNotExistException"
)

// Revision limits (spec §2.3).
const (
	maxRevisionDescription = 256
	maxRevisionsBatch      = 25
	maxS3KeyLength         = 1024 // S3's own key limit bounds a key prefix filter
)

// s3BucketFilterPattern accepts the names S3 allows, including the legacy
// us-east-1 ones with capitals and underscores [unverified: AWS may apply
// the stricter current rules].
var s3BucketFilterPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{3,255}$`)

type (
	RegisterApplicationRevisionInput struct {
		ApplicationName string            `json:"applicationName"`
		Description     string            `json:"description"`
		Revision        *RevisionLocation `json:"revision"`
	}
	GetApplicationRevisionInput struct {
		ApplicationName string            `json:"applicationName"`
		Revision        *RevisionLocation `json:"revision"`
	}
	GetApplicationRevisionOutput struct {
		ApplicationName string               `json:"applicationName"`
		Revision        *RevisionLocation    `json:"revision"`
		RevisionInfo    *GenericRevisionInfo `json:"revisionInfo"`
	}
	BatchGetApplicationRevisionsInput struct {
		ApplicationName string             `json:"applicationName"`
		Revisions       []RevisionLocation `json:"revisions"`
	}
	BatchGetApplicationRevisionsOutput struct {
		ApplicationName string         `json:"applicationName"`
		ErrorMessage    string         `json:"errorMessage,omitempty"`
		Revisions       []RevisionInfo `json:"revisions"`
	}
	// RevisionInfo is a registered revision as BatchGetApplicationRevisions
	// returns it.
	RevisionInfo struct {
		RevisionLocation    *RevisionLocation    `json:"revisionLocation"`
		GenericRevisionInfo *GenericRevisionInfo `json:"genericRevisionInfo"`
	}
	ListApplicationRevisionsInput struct {
		ApplicationName string `json:"applicationName"`
		SortBy          string `json:"sortBy"`
		SortOrder       string `json:"sortOrder"`
		S3Bucket        string `json:"s3Bucket"`
		S3KeyPrefix     string `json:"s3KeyPrefix"`
		Deployed        string `json:"deployed"`
		NextToken       string `json:"nextToken"`
	}
	ListApplicationRevisionsOutput struct {
		Revisions []RevisionLocation `json:"revisions"`
		NextToken string             `json:"nextToken,omitempty"`
	}
)

func (s *Service) registerRevisions() {
	awsproto.Handle(s.API, "RegisterApplicationRevision", s.RegisterApplicationRevision)
	awsproto.Handle(s.API, "GetApplicationRevision", s.GetApplicationRevision)
	awsproto.Handle(s.API, "BatchGetApplicationRevisions", s.BatchGetApplicationRevisions)
	awsproto.Handle(s.API, "ListApplicationRevisions", s.ListApplicationRevisions)
}

// RegisterApplicationRevision registers a revision with an application,
// or updates the description of one already registered (spec §7.2): its
// registerTime and use times stay.
func (s *Service) RegisterApplicationRevision(ctx context.Context, in *RegisterApplicationRevisionInput) (*done, error) {
	if utf8.RuneCountInString(in.Description) > maxRevisionDescription {
		return nil, errorf(CodeDescriptionTooLong, "The description is longer than %d characters.", maxRevisionDescription)
	}
	a, err := s.revisionApplication(ctx, in.ApplicationName, in.Revision)
	if err != nil {
		return nil, err
	}
	err = s.store.Tx(ctx, func(ctx context.Context) error {
		key := revisionKey(in.Revision)
		r, err := s.store.Revision(ctx, a.Info.ApplicationID, key)
		if errors.Is(err, ErrNotFound) {
			r = &Revision{AppID: a.Info.ApplicationID, Key: key, Location: *in.Revision, Info: GenericRevisionInfo{RegisterTime: s.now()}}
		} else if err != nil {
			return err
		}
		r.Info.Description = in.Description
		return s.store.PutRevision(ctx, r)
	})
	if err != nil {
		return nil, err
	}
	return ok, nil
}

// revisionApplication checks an application name and a revision location
// and loads the application; the revision is checked against its compute
// platform (and gets the sha256 of inline content).
func (s *Service) revisionApplication(ctx context.Context, name string, rev *RevisionLocation) (*Application, error) {
	if err := checkApplicationName(name); err != nil {
		return nil, err
	}
	if rev == nil || rev.RevisionType == "" {
		return nil, errorf(CodeRevisionRequired, "Revision is required.")
	}
	a, err := s.application(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := checkRevision(rev, a.Info.ComputePlatform); err != nil {
		return nil, err
	}
	return a, nil
}

// GetApplicationRevision returns a registered revision, with the groups
// whose target revision it is. It is the one call that returns the
// content of String and AppSpecContent revisions.
func (s *Service) GetApplicationRevision(ctx context.Context, in *GetApplicationRevisionInput) (*GetApplicationRevisionOutput, error) {
	a, err := s.revisionApplication(ctx, in.ApplicationName, in.Revision)
	if err != nil {
		return nil, err
	}
	r, err := s.store.Revision(ctx, a.Info.ApplicationID, revisionKey(in.Revision))
	if errors.Is(err, ErrNotFound) {
		return nil, errorf(CodeRevisionDoesNotExist, "No application revision found for revision %s", describeRevision(in.Revision))
	} else if err != nil {
		return nil, err
	}
	targets, err := s.groupTargets(ctx, a)
	if err != nil {
		return nil, err
	}
	info := r.Info
	info.DeploymentGroups = targets[r.Key]
	return &GetApplicationRevisionOutput{ApplicationName: a.Info.ApplicationName, Revision: &r.Location, RevisionInfo: &info}, nil
}

// BatchGetApplicationRevisions returns up to 25 registered revisions. An
// invalid location fails the call; an unregistered one is left out and
// named in errorMessage [unverified: AWS's wording].
func (s *Service) BatchGetApplicationRevisions(ctx context.Context, in *BatchGetApplicationRevisionsInput) (*BatchGetApplicationRevisionsOutput, error) {
	if err := checkApplicationName(in.ApplicationName); err != nil {
		return nil, err
	}
	switch {
	case len(in.Revisions) == 0:
		return nil, errorf(CodeRevisionRequired, "At least one revision is required.")
	case len(in.Revisions) > maxRevisionsBatch:
		return nil, errorf(CodeBatchLimitExceeded, "The maximum number of revisions that can be specified is %d.", maxRevisionsBatch)
	}
	a, err := s.application(ctx, in.ApplicationName)
	if err != nil {
		return nil, err
	}
	for i := range in.Revisions {
		if err := checkRevision(&in.Revisions[i], a.Info.ComputePlatform); err != nil {
			return nil, err
		}
	}
	return s.batchRevisions(ctx, a, in.Revisions)
}

// batchRevisions looks up checked revision locations of a.
func (s *Service) batchRevisions(ctx context.Context, a *Application, locs []RevisionLocation) (*BatchGetApplicationRevisionsOutput, error) {
	targets, err := s.groupTargets(ctx, a)
	if err != nil {
		return nil, err
	}
	out := &BatchGetApplicationRevisionsOutput{ApplicationName: a.Info.ApplicationName, Revisions: []RevisionInfo{}}
	var missing []string
	seen := map[string]bool{}
	for i := range locs {
		key := revisionKey(&locs[i])
		if seen[key] {
			continue
		}
		seen[key] = true
		r, err := s.store.Revision(ctx, a.Info.ApplicationID, key)
		if errors.Is(err, ErrNotFound) {
			missing = append(missing, describeRevision(&locs[i]))
			continue
		} else if err != nil {
			return nil, err
		}
		info, loc := r.Info, listedLocation(r.Location)
		info.DeploymentGroups = targets[key]
		out.Revisions = append(out.Revisions, RevisionInfo{RevisionLocation: &loc, GenericRevisionInfo: &info})
	}
	if len(missing) > 0 {
		out.ErrorMessage = "Revisions not registered with the application: " + strings.Join(missing, ", ")
	}
	return out, nil
}

// ListApplicationRevisions lists an application's registered revisions,
// filtered and sorted as asked, one page at a time.
func (s *Service) ListApplicationRevisions(ctx context.Context, in *ListApplicationRevisionsInput) (*ListApplicationRevisionsOutput, error) {
	if err := checkApplicationName(in.ApplicationName); err != nil {
		return nil, err
	}
	if err := checkRevisionListing(in); err != nil {
		return nil, err
	}
	a, err := s.application(ctx, in.ApplicationName)
	if err != nil {
		return nil, err
	}
	byKey, keys, err := s.listedRevisions(ctx, a, in)
	if err != nil {
		return nil, err
	}
	// A token carries its application and sort so that it cannot continue
	// a different listing.
	op := strings.Join([]string{"ListApplicationRevisions", a.Info.ApplicationID, in.SortBy, in.SortOrder}, "\x00")
	page, next, err := s.tokens.page(op, in.NextToken, keys)
	if err != nil {
		return nil, err
	}
	out := &ListApplicationRevisionsOutput{Revisions: []RevisionLocation{}, NextToken: next}
	for _, k := range page {
		out.Revisions = append(out.Revisions, listedLocation(byKey[k].Location))
	}
	return out, nil
}

// checkRevisionListing checks ListApplicationRevisions' enums and S3
// filters.
func checkRevisionListing(in *ListApplicationRevisionsInput) error {
	switch {
	case !slices.Contains([]string{"", "registerTime", "firstUsedTime", "lastUsedTime"}, in.SortBy):
		return errorf(CodeInvalidSortBy, "The column name to sort by is either not present or was specified in an invalid format: %s", in.SortBy)
	case !slices.Contains([]string{"", "ascending", "descending"}, in.SortOrder):
		return errorf(CodeInvalidSortOrder, "The sort order was specified in an invalid format: %s", in.SortOrder)
	case !slices.Contains([]string{"", "include", "exclude", "ignore"}, in.Deployed):
		return errorf(CodeInvalidDeployedStateFilter, "The deployed state filter was specified in an invalid format: %s", in.Deployed)
	case in.S3KeyPrefix != "" && in.S3Bucket == "":
		return errorf(CodeBucketNameFilterRequired, "A bucket name is required when a key prefix is specified.")
	case in.S3Bucket != "" && !s3BucketFilterPattern.MatchString(in.S3Bucket):
		return errorf(CodeInvalidBucketNameFilter, "The bucket name filter is not valid: %s", in.S3Bucket)
	case len(in.S3KeyPrefix) > maxS3KeyLength:
		return errorf(CodeInvalidKeyPrefixFilter, "The key prefix filter is longer than %d bytes.", maxS3KeyLength)
	}
	return nil
}

// listedRevisions returns the revisions of a that pass in's filters by
// their cursor keys, and those keys in listing order.
func (s *Service) listedRevisions(ctx context.Context, a *Application, in *ListApplicationRevisionsInput) (map[string]*Revision, []string, error) {
	all, err := s.store.Revisions(ctx, a.Info.ApplicationID)
	if err != nil {
		return nil, nil, err
	}
	targets, err := s.groupTargets(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	byKey := map[string]*Revision{}
	keys := []string{}
	for _, r := range all {
		_, deployed := targets[r.Key]
		if !inS3Filter(&r.Location, in.S3Bucket, in.S3KeyPrefix) || (in.Deployed == "include" && !deployed) ||
			(in.Deployed == "exclude" && deployed) {
			continue
		}
		k := revisionCursor(r, in.SortBy, in.SortOrder == "descending")
		byKey[k] = r
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return byKey, keys, nil
}

// inS3Filter reports whether loc is in bucket under prefix; an empty
// bucket filter passes every revision.
func inS3Filter(loc *RevisionLocation, bucket, prefix string) bool {
	if bucket == "" {
		return true
	}
	l := loc.S3Location
	return loc.RevisionType == "S3" && l != nil && l.Bucket == bucket && strings.HasPrefix(l.Key, prefix)
}

// revisionCursor is a revision's key in a listing sorted by sortBy: keys
// sort in listing order (which the page tokens need) and stay put while
// other revisions come and go. Without sortBy the order is the revision
// key's, which the API leaves arbitrary; sortOrder then has no effect.
// Descending listings invert the time, so that they sort ascending too;
// ties always go by revision key. A time never set sorts as the oldest.
func revisionCursor(r *Revision, sortBy string, descending bool) string {
	if sortBy == "" {
		return r.Key
	}
	t := r.Info.RegisterTime
	switch sortBy {
	case "firstUsedTime":
		t = r.Info.FirstUsedTime
	case "lastUsedTime":
		t = r.Info.LastUsedTime
	}
	ms := max(t.UnixMilli(), 0) // the zero time is long before 1970
	if descending {
		ms = math.MaxInt64 - ms
	}
	return fmt.Sprintf("%019d\x00%s", ms, r.Key)
}

// groupTargets maps revision keys to the names of a's deployment groups
// whose target revision they are.
func (s *Service) groupTargets(ctx context.Context, a *Application) (map[string][]string, error) {
	groups, err := s.store.DeploymentGroups(ctx, a.Info.ApplicationID)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, g := range groups {
		if rev := g.Info.TargetRevision; rev != nil && completeLocation(rev) {
			k := revisionKey(rev)
			out[k] = append(out[k], g.Info.DeploymentGroupName)
		}
	}
	return out, nil
}

// completeLocation reports whether rev has the part its type needs, so
// that revisionKey can read it.
func completeLocation(rev *RevisionLocation) bool {
	switch rev.RevisionType {
	case "S3":
		return rev.S3Location != nil
	case "GitHub":
		return rev.GitHubLocation != nil
	case "String":
		return rev.String != nil
	case "AppSpecContent":
		return rev.AppSpecContent != nil
	}
	return false
}

// listedLocation is loc without inline content: only GetApplicationRevision
// returns that; lists and batches give the sha256.
func listedLocation(loc RevisionLocation) RevisionLocation {
	if loc.String != nil {
		loc.String = &RawString{Sha256: loc.String.Sha256}
	}
	if loc.AppSpecContent != nil {
		loc.AppSpecContent = &RawString{Sha256: loc.AppSpecContent.Sha256}
	}
	return loc
}

// describeRevision names a checked revision location in messages.
func describeRevision(rev *RevisionLocation) string {
	switch rev.RevisionType {
	case "S3":
		l := rev.S3Location
		return fmt.Sprintf("s3://%s/%s (bundleType %s, version %q, eTag %q)", l.Bucket, l.Key, l.BundleType, l.Version, l.ETag)
	case "GitHub":
		return fmt.Sprintf("GitHub %s@%s", rev.GitHubLocation.Repository, rev.GitHubLocation.CommitID)
	case "String":
		return "String with sha256 " + rev.String.Sha256
	}
	return "AppSpecContent with sha256 " + rev.AppSpecContent.Sha256
}
