package sqlite

// Commits returns how many write transactions the store has begun.
func Commits(db *DB) int64 { return db.group.stats.commits.Load() }

// ResourceLinksQuery is the statement FindResourceLinks runs.
var ResourceLinksQuery = resourceLinksQuery

// Queued returns how many writes wait for the writer.
func Queued(db *DB) int {
	db.group.mu.Lock()
	defer db.group.mu.Unlock()
	return len(db.group.queue)
}
