package store

// WorkflowTx is the workflow part of a transaction.
type WorkflowTx interface {
}
