// Package browser holds meshgate's browser tests: headless Chromium, driven
// through the DevTools protocol, against the real binary. Each page they
// open is checked for console errors and, with axe-core injected into it,
// for accessibility.
package browser

import (
	"os"
	"testing"

	"github.com/meshgate/meshgate/internal/testbin"
)

func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }
