//go:build !linux

package loadtest

func pinSelf(int) bool { return false }

func onlyOn(int, int) bool { return false }
