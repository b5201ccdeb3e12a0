package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WriterFigures are what a SQLite server's one writer did over a load. When
// Busy nears 1 the writer bounds the rate, whatever the cores have left.
type WriterFigures struct {
	// Busy is the fraction of the wall time the writer spent in write
	// transactions; CommitShare the fraction of that time spent in COMMIT
	// (writing the log and syncing it).
	Busy        float64 `json:"busy_fraction"`
	CommitShare float64 `json:"commit_fraction"`
	// Transactions per second, the calls they ran per transaction (group
	// commit), and the load's requests per transaction.
	TransactionsPerSecond  float64 `json:"transactions_per_second"`
	CallsPerTransaction    float64 `json:"calls_per_transaction"`
	RequestsPerTransaction float64 `json:"requests_per_transaction"`
}

// writerCounters reads the SQLite writer's counters from a server's
// /metrics (as a mesh admin), by name without the meshgate_sqlite_ prefix.
func writerCounters(ctx context.Context, token, addr string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("writer metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("writer metrics: %s", resp.Status)
	}
	got := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "meshgate_sqlite_")
		if !ok {
			continue
		}
		name, value, _ := strings.Cut(rest, " ")
		if got[name], err = strconv.ParseFloat(value, 64); err != nil {
			return nil, fmt.Errorf("writer metrics: %s: %w", sc.Text(), err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("writer metrics: %w", err)
	}
	for _, name := range []string{"write_transactions_total", "write_calls_total", "writer_busy_seconds_total", "writer_commit_seconds_total"} {
		if _, ok := got[name]; !ok {
			return nil, fmt.Errorf("writer metrics: the server's /metrics lack meshgate_sqlite_%s", name)
		}
	}
	return got, nil
}

// writerFigures turns two readings of the writer's counters, elapsed apart,
// into figures of the requests between them.
func writerFigures(before, after map[string]float64, elapsed time.Duration, requests int64) *WriterFigures {
	d := func(name string) float64 { return after[name] - before[name] }
	w := &WriterFigures{Busy: d("writer_busy_seconds_total") / elapsed.Seconds(),
		TransactionsPerSecond: d("write_transactions_total") / elapsed.Seconds()}
	if busy := d("writer_busy_seconds_total"); busy > 0 {
		w.CommitShare = d("writer_commit_seconds_total") / busy
	}
	if tx := d("write_transactions_total"); tx > 0 {
		w.CallsPerTransaction = d("write_calls_total") / tx
		w.RequestsPerTransaction = float64(requests) / tx
	}
	return w
}
