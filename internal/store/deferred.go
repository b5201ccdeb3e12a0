package store

import "github.com/meshgate/meshgate/internal/mesh"

// Deferred is what a store's transaction keeps until it commits: the
// functions to run once it has committed (AfterCommit) and the audit entries
// still to write, which go to the store in one statement instead of one each
// (Tx.InsertAudit). Savepoints bound both: rolling back to one forgets what
// was added since, as the rollback undoes the work it followed. Both stores'
// Tx types embed it.
type Deferred struct {
	after []func()
	audit []*mesh.AuditEntry
	marks []savepointMark
}

type savepointMark struct {
	name         string
	after, audit int
}

// AfterCommit runs fn once the transaction has committed.
func (d *Deferred) AfterCommit(fn func()) { d.after = append(d.after, fn) }

// Committed runs what waited for the commit.
func (d *Deferred) Committed() {
	for _, fn := range d.after {
		fn()
	}
}

// Mark records a savepoint.
func (d *Deferred) Mark(name string) {
	d.marks = append(d.marks, savepointMark{name, len(d.after), len(d.audit)})
}

// Unmark ends the latest savepoint named name; rollback also forgets the
// AfterCommit functions and audit entries added since it began.
func (d *Deferred) Unmark(name string, rollback bool) {
	for i := len(d.marks) - 1; i >= 0; i-- {
		if d.marks[i].name == name {
			if rollback {
				d.after = d.after[:d.marks[i].after]
				clear(d.audit[d.marks[i].audit:])
				d.audit = d.audit[:d.marks[i].audit]
			}
			d.marks = d.marks[:i]
			return
		}
	}
}

// QueueAudit keeps e to be written with the transaction's other entries.
func (d *Deferred) QueueAudit(e *mesh.AuditEntry) { d.audit = append(d.audit, e) }

// TakeAudit returns the entries queued since the last call, in order, and
// forgets them; a store writes them before it commits and before it reads
// the audit log. Entries written inside a savepoint are undone by rolling
// back to it in the store itself; those queued after the call count from
// the start of the queue.
func (d *Deferred) TakeAudit() []*mesh.AuditEntry {
	es := d.audit
	d.audit = nil
	for i := range d.marks {
		d.marks[i].audit = 0
	}
	return es
}
