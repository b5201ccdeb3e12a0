//go:build !linux

package loadtest

func pinSelf(int) bool { return false }

func pinnedCommand(_ int, argv []string) ([]string, bool) { return argv, false }
