package mem_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/objstore/mem"
	"github.com/deploytrail/deploytrail/internal/objstore/objstoretest"
)

func TestBucket(t *testing.T) {
	store := mem.New()
	var n atomic.Int64
	objstoretest.Run(t, func(t *testing.T) objstore.Bucket {
		b, err := store.Bucket(fmt.Sprintf("bucket-%d", n.Add(1)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}
