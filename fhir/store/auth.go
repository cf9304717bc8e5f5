package store

import (
	"context"
	"time"
)

// Security state is an optional part of the contract, kept in the same
// database as the resources so that one backup holds everything: the
// authorization server's records (users, roles, clients, codes, refresh
// tokens, sessions) as versioned records in a compare-and-swap table
// (AuthRecords, migration 0040_auth.sql), and the audit trail as an
// append-only hash chain (AuditLog, migration 0041_audit.sql).
//
// Both tables carry the institution, the partition key, like every other
// data table. On a distributed engine auth_records is small enough to be a
// reference table; audit_events stays on one node, where one sequence orders
// the chain (one chain per institution is the scale-out path).

// AuthRecord is one record of the authorization server: a JSON value under
// (Kind, Key), with a version that changes on every write.
type AuthRecord struct {
	Kind        string // "user", "client", "role", "code", "refresh", "session", ...
	Key         string
	Institution string // owning institution; "" is stored as "*" (alliance-wide)
	Value       []byte // JSON, opaque to the store
	Version     int64  // 1 on insert, +1 on every update
	Expires     time.Time
	Updated     time.Time
}

// AuthRecords is implemented by engines that keep the authorization
// server's records.
type AuthRecords interface {
	// GetAuthRecord returns the record or an error wrapping ErrNotFound.
	// An expired record (Expires set and in the past) is not found.
	GetAuthRecord(ctx context.Context, kind, key string) (*AuthRecord, error)
	// PutAuthRecord writes rec if the stored version is ifVersion (0: the
	// record must not exist; an expired one counts as absent) and returns
	// the new version. A version mismatch wraps ErrConflict: the caller
	// reloads and retries, or treats it as a lost race (refresh-token reuse).
	PutAuthRecord(ctx context.Context, rec AuthRecord, ifVersion int64) (int64, error)
	// DeleteAuthRecord removes a record; ifVersion > 0 is a precondition
	// (ErrConflict on mismatch). Deleting a missing record is not an error.
	DeleteAuthRecord(ctx context.Context, kind, key string, ifVersion int64) error
	// ListAuthRecords lists the live records of kind with Key > after, in
	// key order, up to limit (0: 1000).
	ListAuthRecords(ctx context.Context, kind, after string, limit int) ([]AuthRecord, error)
	// PurgeAuthRecords deletes the records that expired before now and
	// reports how many.
	PurgeAuthRecords(ctx context.Context, now time.Time) (int64, error)
}

// AuditEntry is one link of the audit chain: an AuditEvent (JSON) with its
// position and hashes. Hash = H(PrevHash || Seq || Recorded || Institution ||
// Event), computed by the caller (package server/audit); the store only
// keeps the chain contiguous.
type AuditEntry struct {
	Seq         int64 // 1, 2, 3, ... without gaps
	Institution string
	Recorded    time.Time
	Action      string // BALP pattern: read, query, create, update, delete, login, logout, auth-failure, export
	Outcome     string // AuditEvent.outcome code: 0, 4, 8, 12
	Agent       string // who: user or client id
	Event       []byte // the AuditEvent resource, JSON
	PrevHash    []byte
	Hash        []byte
}

// AuditAnchor records where the chain starts after a retention purge: the
// first kept entry's predecessor hash, so that verification can start there.
type AuditAnchor struct {
	Seq      int64 // the last purged sequence number (0: nothing purged)
	Hash     []byte
	PurgedAt time.Time
}

// AuditLog is implemented by engines that keep the audit trail. The store
// never updates an entry: it appends and, for retention, deletes a prefix.
type AuditLog interface {
	// AppendAudit appends entries whose Seq continue the chain (the first is
	// LastAudit().Seq+1, each next +1); otherwise it fails wrapping
	// ErrConflict and appends nothing.
	AppendAudit(ctx context.Context, entries []AuditEntry) error
	// LastAudit returns the last entry, or nil when the chain is empty
	// (after a purge of everything, the anchor tells the last Seq and Hash).
	LastAudit(ctx context.Context) (*AuditEntry, error)
	// ScanAudit returns up to limit entries with Seq > after, in order.
	ScanAudit(ctx context.Context, after int64, limit int) ([]AuditEntry, error)
	// AuditAnchor returns the retention anchor (zero when nothing was purged).
	AuditAnchor(ctx context.Context) (AuditAnchor, error)
	// PurgeAudit deletes the entries recorded before cutoff (a prefix of the
	// chain) and moves the anchor to the last one deleted, in one transaction.
	PurgeAudit(ctx context.Context, cutoff time.Time) (int64, error)
}
