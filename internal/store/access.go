package store

// AccessTx is the access part of a transaction.
type AccessTx interface {
}
