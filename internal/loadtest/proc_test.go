package loadtest

import (
	"os"
	"testing"
)

// TestProcStat reads this process's /proc entry: its parent, and CPU time
// spent; and postmasterOf and postgresCPU refuse a process that is not
// PostgreSQL's.
func TestProcStat(t *testing.T) {
	for range 1_000_000 { // some CPU time to read back
		_ = os.Getpid()
	}
	st, err := readProcStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.ppid != os.Getppid() || st.cpu <= 0 || st.comm == "" {
		t.Errorf("got %+v, want parent %d and some CPU time", st, os.Getppid())
	}
	if _, ok := postmasterOf(os.Getpid()); ok {
		t.Error("postmasterOf took the test process for PostgreSQL's")
	}
	if _, ok := postgresCPU(os.Getpid()); ok {
		t.Error("postgresCPU took the test process for PostgreSQL's")
	}
}
