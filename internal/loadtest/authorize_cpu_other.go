//go:build !unix

package loadtest

import "time"

// authorizeCPUTime is not measured on this platform.
func authorizeCPUTime() time.Duration { return 0 }
