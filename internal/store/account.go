package store

// AccountTx is the account part of a transaction.
type AccountTx interface {
}
