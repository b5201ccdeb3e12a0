package store

// AuthTx is the auth part of a transaction.
type AuthTx interface {
}
