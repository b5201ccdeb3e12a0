package postgres_test

import (
	"testing"

	"github.com/meshgate/meshgate/internal/store"
	"github.com/meshgate/meshgate/internal/store/storetest"
)

// TestStore runs the shared suite on PostgreSQL (MESHGATE_TEST_POSTGRES).
func TestStore(t *testing.T) {
	storetest.PostgresURL(t)
	storetest.Run(t, func(t *testing.T) store.Store { return storetest.OpenPostgres(t, nil) })
}
