package loadtest

import (
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// pinSelf binds every thread of this process to cpu and sets GOMAXPROCS to
// 1. Threads, and processes started afterwards, inherit the binding from the
// thread that creates them. It reports whether the binding took.
func pinSelf(cpu int) bool {
	var set unix.CPUSet
	set.Set(cpu)
	done := map[int]bool{}
	// A thread started while the list is read escapes it; read again until
	// every thread is bound.
	for {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return false
		}
		fresh := false
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil || done[tid] {
				continue
			}
			if unix.SchedSetaffinity(tid, &set) != nil {
				return false
			}
			done[tid], fresh = true, true
		}
		if !fresh {
			break
		}
	}
	runtime.GOMAXPROCS(1)
	return true
}

// onlyOn reports whether process pid may run on cpu alone.
func onlyOn(pid, cpu int) bool {
	var set unix.CPUSet
	if unix.SchedGetaffinity(pid, &set) != nil {
		return false
	}
	return set.Count() == 1 && set.IsSet(cpu)
}
