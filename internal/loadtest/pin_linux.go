package loadtest

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// pinSelf binds every thread of this process to cpu and sets GOMAXPROCS to
// 1, so the load generator stays off the core it leaves to the server. New
// threads inherit the binding from the threads that create them. It reports
// whether the binding took.
func pinSelf(cpu int) bool {
	var set unix.CPUSet
	set.Set(cpu)
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return false
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if unix.SchedSetaffinity(tid, &set) != nil {
			return false
		}
	}
	runtime.GOMAXPROCS(1)
	return true
}

// pinnedCommand returns the argv that runs argv bound to cpu with taskset,
// or argv itself when taskset is missing.
func pinnedCommand(cpu int, argv []string) ([]string, bool) {
	path, err := exec.LookPath("taskset")
	if err != nil {
		return argv, false
	}
	return append([]string{path, "-c", strconv.Itoa(cpu)}, argv...), true
}
