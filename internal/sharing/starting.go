package sharing

import (
	"sync"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store"
)

// startingRequests keeps, for each request whose start is being committed,
// the request as the start's transaction last wrote it, so that
// CreateRequest answers from it once that transaction has committed
// instead of reading the request again. The start's Prepare hook tracks
// the request at every attempt of its transaction (a retried batch starts
// over from SUBMITTED); the tasks and the end hook observe their writes;
// CreateRequest takes the entry whether the start succeeded or not, so
// nothing stays behind. Writes to requests no start is tracking (a
// decision, a timer) are not kept.
type startingRequests struct {
	m sync.Map // request id → *mesh.AccessRequest
	// precision is the store's time precision (store.TimePrecision), so
	// that the answer shows what a read would.
	precision time.Duration
}

func (s *startingRequests) copy(r *mesh.AccessRequest) *mesh.AccessRequest {
	return store.StoredRequest(r, s.precision)
}

func (s *startingRequests) track(r *mesh.AccessRequest) { s.m.Store(r.ID, s.copy(r)) }

func (s *startingRequests) observe(r *mesh.AccessRequest) {
	if _, ok := s.m.Load(r.ID); ok {
		s.m.Store(r.ID, s.copy(r))
	}
}

func (s *startingRequests) take(id int64) *mesh.AccessRequest {
	v, ok := s.m.LoadAndDelete(id)
	if !ok {
		return nil
	}
	return v.(*mesh.AccessRequest)
}
