package platform

import "time"

// SetApplyTimeout sets the service's ApplyTimeout, for tests of a platform
// that hangs.
func SetApplyTimeout(s *Service, d time.Duration) { s.cfg.ApplyTimeout = d }

// OneLine is oneLine.
var OneLine = oneLine

// CatalogName is catalogName.
var CatalogName = catalogName
