package codedeploy

import (
	"slices"
	"testing"
	"time"
)

// TestRevisionCursor checks that cursor keys sort in listing order, with
// revisions never used first when ascending and last when descending.
func TestRevisionCursor(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2024, 1, 1, 0, min, 0, 0, time.UTC) }
	revs := []*Revision{
		{Key: "a", Info: GenericRevisionInfo{RegisterTime: at(3), LastUsedTime: at(9)}},
		{Key: "b", Info: GenericRevisionInfo{RegisterTime: at(1)}},
		{Key: "c", Info: GenericRevisionInfo{RegisterTime: at(2), LastUsedTime: at(5)}},
		{Key: "d", Info: GenericRevisionInfo{RegisterTime: at(2)}},
	}
	tests := []struct {
		sortBy     string
		descending bool
		want       []string
	}{
		{"", false, []string{"a", "b", "c", "d"}},
		{"registerTime", false, []string{"b", "c", "d", "a"}},
		{"registerTime", true, []string{"a", "c", "d", "b"}},
		{"lastUsedTime", false, []string{"b", "d", "c", "a"}},
		{"lastUsedTime", true, []string{"a", "c", "b", "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.sortBy+map[bool]string{true: "Descending", false: "Ascending"}[tt.descending], func(t *testing.T) {
			byCursor := map[string]string{}
			var cursors []string
			for _, r := range revs {
				c := revisionCursor(r, tt.sortBy, tt.descending)
				byCursor[c] = r.Key
				cursors = append(cursors, c)
			}
			slices.Sort(cursors)
			var got []string
			for _, c := range cursors {
				got = append(got, byCursor[c])
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("order=%v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckRevisionListing(t *testing.T) {
	tests := []struct {
		name string
		in   ListApplicationRevisionsInput
		code string
	}{
		{"Defaults", ListApplicationRevisionsInput{}, ""},
		{"All", ListApplicationRevisionsInput{SortBy: "firstUsedTime", SortOrder: "descending", S3Bucket: "my-bucket", S3KeyPrefix: "app/", Deployed: "include"}, ""},
		{"SortBy", ListApplicationRevisionsInput{SortBy: "name"}, CodeInvalidSortBy},
		{"SortOrder", ListApplicationRevisionsInput{SortOrder: "up"}, CodeInvalidSortOrder},
		{"Deployed", ListApplicationRevisionsInput{Deployed: "yes"}, CodeInvalidDeployedStateFilter},
		{"PrefixWithoutBucket", ListApplicationRevisionsInput{S3KeyPrefix: "app/"}, CodeBucketNameFilterRequired},
		{"Bucket", ListApplicationRevisionsInput{S3Bucket: "a/b"}, CodeInvalidBucketNameFilter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := code(checkRevisionListing(&tt.in)); got != tt.code {
				t.Fatalf("code=%q, want %q", got, tt.code)
			}
		})
	}
}

func TestListedLocation(t *testing.T) {
	loc := RevisionLocation{RevisionType: "AppSpecContent", AppSpecContent: &RawString{Content: "version: 0.0", Sha256: "abc"}}
	got := listedLocation(loc)
	if got.AppSpecContent.Content != "" || got.AppSpecContent.Sha256 != "abc" {
		t.Fatalf("AppSpecContent=%+v, want only the sha256", got.AppSpecContent)
	}
	if loc.AppSpecContent.Content == "" {
		t.Fatalf("listedLocation changed its argument")
	}
}
