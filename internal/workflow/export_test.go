package workflow

// Kicked reports, and clears, a wake of the dispatcher since the last call.
func (e *Engine) Kicked() bool {
	select {
	case <-e.kick:
		return true
	default:
		return false
	}
}
