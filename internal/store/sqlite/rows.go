package sqlite

import (
	"database/sql"
	"fmt"
)

// rowScanner is a *sql.Row or *sql.Rows, for the scan functions that read
// one row of either.
type rowScanner interface{ Scan(dest ...any) error }

// collect scans every row of rows with scan and closes rows. A scan error is
// wrapped as "op: err".
func collect[T any](rows *sql.Rows, op string, scan func(rowScanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
