package loadtest

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the driver the SQLite store uses
)

// CommitRate measures how many single-row transactions a second SQLite
// commits in dir with journal_mode=WAL and synchronous=FULL (an fsync per
// commit), one after another for d: the disk's durable commit rate, which
// bounds what one writer without group commit can acknowledge.
func CommitRate(ctx context.Context, dir string, d time.Duration) (float64, error) {
	path := filepath.Join(dir, "commit-probe.db")
	defer os.Remove(path)
	defer os.Remove(path + "-wal")
	defer os.Remove(path + "-shm")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE probe (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		return 0, err
	}
	var n int
	begin := time.Now()
	for time.Since(begin) < d {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO probe (v) VALUES (?)`, "a single row"); err != nil {
			tx.Rollback()
			return 0, err
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
		n++
	}
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&mode); err != nil || mode != "2" {
		return 0, fmt.Errorf("commit probe: synchronous is %q, want 2 (FULL)", mode)
	}
	return float64(n) / time.Since(begin).Seconds(), nil
}

// processRSS returns the resident set of process pid (0: this process) in
// bytes, from /proc, and its anonymous part (the heap and stacks, without
// the pages of files it maps, such as SQLite's memory-mapped database);
// 0 where /proc is missing.
func processRSS(pid int) (rss, anon int64) {
	p := "/proc/self/status"
	if pid != 0 {
		p = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	f, err := os.Open(p)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	kb := func(rest string) int64 {
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		return n << 10
	}
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			rss = kb(rest)
		} else if rest, ok := strings.CutPrefix(s.Text(), "RssAnon:"); ok {
			anon = kb(rest)
		}
	}
	return rss, anon
}
