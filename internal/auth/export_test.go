package auth

// SetOnForget tells f each time a notice empties s's token cache.
func SetOnForget(s *Service, f func()) { s.onForget = f }
