// Package catalog holds the central data catalog: databases, tables, columns,
// their parameters (data_owner, pii_flag, ...) and search.
package catalog

import (
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// Service manages the catalog.
type Service struct {
	store store.Store
	clock mesh.Clock
}

// NewService returns the catalog service.
func NewService(s store.Store, clock mesh.Clock) *Service {
	return &Service{store: s, clock: clock}
}
