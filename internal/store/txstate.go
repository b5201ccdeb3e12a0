package store

import "github.com/meshgate/meshgate/internal/mesh"

// TxState is what a store's transaction keeps beside its connection: the
// functions to run once it has committed (AfterCommit), the audit entries
// still to write, which go to the store in one statement instead of one each
// (Tx.InsertAudit), the memo of rows it has read and the values services
// keep for the transaction (Local). Savepoints bound all four: rolling back
// to one forgets the functions, entries and values added since, as the
// rollback undoes the work they followed, and empties the memo, which may
// hold what the rollback undid. Both stores' Tx types embed it.
type TxState struct {
	after  []func()
	audit  []*mesh.AuditEntry
	marks  []savepointMark
	memo   ReadMemo
	locals []local // in the order set; the last of a key is its value
}

type savepointMark struct {
	name                 string
	after, audit, locals int
}

type local struct{ key, v any }

// Local returns the value last set under key, or nil.
func (d *TxState) Local(key any) any {
	for i := len(d.locals) - 1; i >= 0; i-- {
		if d.locals[i].key == key {
			return d.locals[i].v
		}
	}
	return nil
}

// SetLocal keeps v under key; rolling back to a savepoint set before
// brings back the value the key had then.
func (d *TxState) SetLocal(key, v any) { d.locals = append(d.locals, local{key, v}) }

// Memo is the transaction's memo of rows read; the store shows it every
// statement it runs (ReadMemo.Saw).
func (d *TxState) Memo() *ReadMemo { return &d.memo }

// HoldsExecution reports whether the transaction holds the execution
// locked (store.WorkflowTx).
func (d *TxState) HoldsExecution(id string) bool { return d.memo.HoldsExecution(id) }

// AfterCommit runs fn once the transaction has committed.
func (d *TxState) AfterCommit(fn func()) { d.after = append(d.after, fn) }

// Committed runs what waited for the commit.
func (d *TxState) Committed() {
	for _, fn := range d.after {
		fn()
	}
}

// Mark records a savepoint.
func (d *TxState) Mark(name string) {
	d.marks = append(d.marks, savepointMark{name, len(d.after), len(d.audit), len(d.locals)})
}

// Unmark ends the latest savepoint named name; rollback also forgets the
// AfterCommit functions, audit entries and values added since it began,
// and empties the memo.
func (d *TxState) Unmark(name string, rollback bool) {
	for i := len(d.marks) - 1; i >= 0; i-- {
		if d.marks[i].name == name {
			if rollback {
				d.memo.Clear()
				d.after = d.after[:d.marks[i].after]
				clear(d.audit[d.marks[i].audit:])
				d.audit = d.audit[:d.marks[i].audit]
				clear(d.locals[d.marks[i].locals:])
				d.locals = d.locals[:d.marks[i].locals]
			}
			d.marks = d.marks[:i]
			return
		}
	}
}

// QueueAudit keeps e to be written with the transaction's other entries.
func (d *TxState) QueueAudit(e *mesh.AuditEntry) { d.audit = append(d.audit, e) }

// TakeAudit returns the entries queued since the last call, in order, and
// forgets them; a store writes them before it commits and before it reads
// the audit log. Entries written inside a savepoint are undone by rolling
// back to it in the store itself; those queued after the call count from
// the start of the queue.
func (d *TxState) TakeAudit() []*mesh.AuditEntry {
	es := d.audit
	d.audit = nil
	for i := range d.marks {
		d.marks[i].audit = 0
	}
	return es
}
