package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/sqlite"
)

// BenchmarkConcurrentWrites: small writes from 32 goroutines at once (a
// setting and an audit entry each, as an API write), each acknowledged only
// once durable (synchronous=FULL).
func BenchmarkConcurrentWrites(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "meshgate.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var n atomic.Int64
	b.SetParallelism(16) // 32 goroutines on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			err := db.Update(ctx, func(tx store.Tx) error {
				if err := tx.PutSetting(ctx, fmt.Sprint("bench.", i), "v"); err != nil {
					return err
				}
				e := mesh.NewAuditEntry(nil, time.Now(), "bench.write", fmt.Sprint(i))
				return tx.InsertAudit(ctx, &e)
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}
