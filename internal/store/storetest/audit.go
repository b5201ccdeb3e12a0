package storetest

import (
	"slices"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// AuditSince returns s's audit entries with an id after id (the newest
// 1,000), oldest first.
func AuditSince(t testing.TB, s store.Store, id int64) []*mesh.AuditEntry {
	t.Helper()
	var es []*mesh.AuditEntry
	err := s.View(t.Context(), func(tx store.Tx) error {
		var err error
		es, err = tx.FindAuditEntries(t.Context(), store.AuditFilter{Limit: 1000})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	es = slices.DeleteFunc(es, func(e *mesh.AuditEntry) bool { return e.ID <= id })
	slices.Reverse(es)
	return es
}
