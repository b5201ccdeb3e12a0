package mesh

import "time"

// AuditEntry records one state-changing call: who, what, which resource, when,
// from where, and with what result.
type AuditEntry struct {
	ID         int64     `json:"id"`
	Time       time.Time `json:"time"`
	Principal  string    `json:"principal"` // account/username, or "system"
	AccountID  string    `json:"account_id"`
	Action     string    `json:"action"`   // e.g. "catalog.update-database"
	Resource   string    `json:"resource"` // e.g. "database/sales"
	RemoteAddr string    `json:"remote_addr,omitempty"`
	RequestID  string    `json:"request_id,omitempty"`
	Result     string    `json:"result"` // "ok" or an error code
	Detail     string    `json:"detail,omitempty"`
}

// NewAuditEntry fills the who, where and when of an audit entry from the actor.
func NewAuditEntry(actor *Actor, now time.Time, action, resource string) AuditEntry {
	e := AuditEntry{Time: now, Principal: actor.Principal(), Action: action, Resource: resource, Result: "ok"}
	if actor != nil {
		e.AccountID = actor.AccountID
		e.RemoteAddr = actor.RemoteAddr
		e.RequestID = actor.RequestID
	}
	return e
}
