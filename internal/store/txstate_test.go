package store

import "testing"

// TestTxStateLocal: a value kept under a key is the last one set; rolling
// back to a savepoint brings back the one set before it, releasing one
// keeps what was set inside it.
func TestTxStateLocal(t *testing.T) {
	type key struct{}
	var d TxState
	if got := d.Local(key{}); got != nil {
		t.Fatalf("before any SetLocal: %v, want nil", got)
	}
	d.SetLocal(key{}, 1)
	d.SetLocal("other", "x")
	d.Mark("a")
	d.SetLocal(key{}, 2)
	d.Mark("b")
	d.SetLocal(key{}, 3)
	if got := d.Local(key{}); got != 3 {
		t.Errorf("latest: %v, want 3", got)
	}
	d.Unmark("b", true)
	if got := d.Local(key{}); got != 2 {
		t.Errorf("after rolling back b: %v, want 2", got)
	}
	d.Mark("c")
	d.SetLocal(key{}, 4)
	d.Unmark("c", false)
	if got := d.Local(key{}); got != 4 {
		t.Errorf("after releasing c: %v, want 4", got)
	}
	d.Unmark("a", true)
	if got, other := d.Local(key{}), d.Local("other"); got != 1 || other != "x" {
		t.Errorf("after rolling back a: %v, %v; want 1, x", got, other)
	}
}
