package store

// CatalogTx is the catalog part of a transaction.
type CatalogTx interface {
}
