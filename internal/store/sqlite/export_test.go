package sqlite

// Commits returns how many write transactions the store has begun.
func Commits(db *DB) int64 { return db.group.commits.Load() }

// ResourceLinksQuery is the statement FindResourceLinks runs.
var ResourceLinksQuery = resourceLinksQuery
