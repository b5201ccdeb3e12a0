package loadtest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// procStat is what a load reads of a process from /proc/PID/stat (Linux).
type procStat struct {
	comm        string
	ppid        int
	cpu         time.Duration // user and system time
	childrenCPU time.Duration // of its children that ended and were waited for
}

func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// the fields after it are plain.
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	var n [5]int64 // ppid, utime, stime, cutime, cstime
	for i, j := range []int{1, 11, 12, 13, 14} {
		if n[i], err = strconv.ParseInt(f[j], 10, 64); err != nil {
			return procStat{}, fmt.Errorf("unexpected /proc/%d/stat", pid)
		}
	}
	const ticksPerSecond = 100 // USER_HZ on Linux
	tick := func(t int64) time.Duration { return time.Duration(t) * time.Second / ticksPerSecond }
	return procStat{comm: string(b[open+1 : end]), ppid: int(n[0]), cpu: tick(n[1] + n[2]), childrenCPU: tick(n[3] + n[4])}, nil
}

// postmasterOf returns the PostgreSQL postmaster that started backend,
// a running PostgreSQL process of this machine; false when backend is not
// one (a server elsewhere, or in another process namespace).
func postmasterOf(backend int) (int, bool) {
	b, err := readProcStat(backend)
	if err != nil || b.comm != "postgres" {
		return 0, false
	}
	pm, err := readProcStat(b.ppid)
	if err != nil || pm.comm != "postgres" {
		return 0, false
	}
	return b.ppid, true
}

// postgresCPU returns the CPU time a PostgreSQL server has used: its
// postmaster's, and that of every process the postmaster started, running
// or ended (the postmaster waits for them, so their time joins its
// children's). It counts all of the server's work, for this load's
// database and any other; false when postmaster is not running.
func postgresCPU(postmaster int) (time.Duration, bool) {
	pm, err := readProcStat(postmaster)
	if err != nil || pm.comm != "postgres" {
		return 0, false
	}
	total := pm.cpu + pm.childrenCPU
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if s, err := readProcStat(pid); err == nil && s.ppid == postmaster {
			total += s.cpu
		}
	}
	return total, true
}
