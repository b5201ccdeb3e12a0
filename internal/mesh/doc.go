// Package mesh holds meshgate's domain vocabulary: the error type and its codes,
// identifiers and their validation, the acting principal carried through a request,
// and the domain types the other packages share. It imports nothing else of meshgate's.
package mesh
