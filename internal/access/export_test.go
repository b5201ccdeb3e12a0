package access

// SetRefreshed makes Run call f after each refresh, for tests that wait on it.
func SetRefreshed(s *Service, f func()) { s.refreshed = f }
