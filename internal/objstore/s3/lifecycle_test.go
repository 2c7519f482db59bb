package s3

import (
	"encoding/json"
	"errors"
	"testing"
)

// TestBucket_Lifecycle round-trips an Expiration rule through the service
// and checks how it answers a transition to archive storage.
func TestBucket_Lifecycle(t *testing.T) {
	store := mustTestStore(t)
	b := newTestBucket(t, store).(*Bucket)
	if err := b.Create(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetLifecycle(t.Context()); !errors.Is(err, ErrNoLifecycle) {
		t.Fatalf("GetLifecycle before Put: %v, want ErrNoLifecycle", err)
	}
	const rules = `{"Rules":[{"ID":"expire-logs","Status":"Enabled","Filter":{"Prefix":"AWSLogs/"},"Expiration":{"Days":30}}]}`
	if err := b.PutLifecycle(t.Context(), []byte(rules)); err != nil {
		t.Fatal(err)
	}
	data, err := b.GetLifecycle(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Rules []struct {
			ID, Status string
			Filter     struct{ Prefix string }
			Expiration struct{ Days int }
		}
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Rules) != 1 || got.Rules[0].ID != "expire-logs" || got.Rules[0].Status != "Enabled" ||
		got.Rules[0].Filter.Prefix != "AWSLogs/" || got.Rules[0].Expiration.Days != 30 {
		t.Fatalf("GetLifecycle=%s", data)
	}

	t.Run("Transition", func(t *testing.T) {
		// AWS accepts it; MinIO only knows storage classes that name a
		// configured remote tier and refuses the rule. Either way the
		// answer must reach the caller unchanged.
		const archive = `{"Rules":[{"ID":"archive","Status":"Enabled","Filter":{"Prefix":"AWSLogs/"},"Transitions":[{"Days":10,"StorageClass":"GLACIER"}]}]}`
		err := b.PutLifecycle(t.Context(), []byte(archive))
		if err == nil {
			return
		}
		code, msg := ErrorCode(err)
		if code == "" {
			t.Fatalf("PutLifecycle with a transition: %v, want the service's error code", err)
		}
		t.Logf("the service refused a transition: %s: %s", code, msg)
	})

	if err := b.DeleteLifecycle(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetLifecycle(t.Context()); !errors.Is(err, ErrNoLifecycle) {
		t.Fatalf("GetLifecycle after Delete: %v, want ErrNoLifecycle", err)
	}
	if err := b.DeleteLifecycle(t.Context()); err != nil {
		t.Fatalf("second DeleteLifecycle: %v", err)
	}
}
