package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

// TestSigners_Ensure: the first identity stored under a name is the one
// every later and every concurrent Ensure returns; a failing maker stores
// nothing.
func TestSigners_Ensure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.Signers{DB: db}
		if _, err := s.Ensure(ctx, "x", func() (store.SignerPEM, error) { return store.SignerPEM{}, errors.New("no entropy") }); err == nil {
			t.Fatal("Ensure with a failing maker succeeded")
		}
		var got [8]store.SignerPEM
		var errs [8]error
		var wg sync.WaitGroup
		for i := range got {
			wg.Go(func() {
				got[i], errs[i] = s.Ensure(ctx, "x", func() (store.SignerPEM, error) {
					return store.SignerPEM{Key: fmt.Appendf(nil, "key %d", i), Cert: fmt.Appendf(nil, "cert %d", i)}, nil
				})
			})
		}
		wg.Wait()
		for i := range got {
			if errs[i] != nil || string(got[i].Key) != string(got[0].Key) || string(got[i].Cert) != string(got[0].Cert) {
				t.Fatalf("Ensure %d = %q, %q, %v; want the one identity %q", i, got[i].Key, got[i].Cert, errs[i], got[0].Key)
			}
		}
		again, err := s.Ensure(ctx, "x", func() (store.SignerPEM, error) {
			t.Error("Ensure made an identity although one is stored")
			return store.SignerPEM{}, nil
		})
		if err != nil || string(again.Key) != string(got[0].Key) {
			t.Fatalf("Ensure again = %q, %v; want %q", again.Key, err, got[0].Key)
		}
		other, err := s.Ensure(ctx, "y", func() (store.SignerPEM, error) { return store.SignerPEM{Key: []byte("k"), Cert: []byte("c")}, nil })
		if err != nil || string(other.Key) != "k" {
			t.Fatalf("Ensure of another name = %q, %v; want its own", other.Key, err)
		}
	})
}
