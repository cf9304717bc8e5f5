package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"yigong/fhir"
)

// Sentinel errors. Every error a store returns for these conditions wraps the
// sentinel (test with errors.Is) and is a *fhir.Error carrying the matching
// fhir.Kind (test with fhir.KindOf).
var (
	// ErrNotFound: the resource, or the requested version, does not exist
	// (fhir.KindNotFound).
	ErrNotFound = errors.New("store: not found")
	// ErrGone: the resource's current version is a deletion (fhir.KindGone).
	ErrGone = errors.New("store: deleted")
	// ErrConflict: a uniqueness or concurrency conflict the caller may retry
	// or report (fhir.KindConflict), e.g. an id owned by another institution.
	ErrConflict = errors.New("store: conflict")
	// ErrPrecondition: an If-Match version did not match the current version
	// (fhir.KindPrecondition).
	ErrPrecondition = errors.New("store: version mismatch")
	// ErrClosed: the store or the transaction is closed (fhir.KindInternal).
	ErrClosed = errors.New("store: closed")
)

// Resource is one stored version of a resource.
type Resource struct {
	Institution string    // owning institution: the partition key
	Type        string    // resource type, "Patient"
	ID          string    // logical id
	Version     int64     // meta.versionId, 1, 2, ...
	LastUpdated time.Time // meta.lastUpdated, microsecond precision
	Deleted     bool      // this version records a deletion; JSON is nil
	// JSON is the resource as stored: the caller's JSON with "id" and
	// meta.versionId / meta.lastUpdated set by the store. The store never
	// modifies a returned slice; the caller may keep it.
	JSON []byte
}

// Ref returns the reference of r.
func (r *Resource) Ref() Ref { return Ref{Institution: r.Institution, Type: r.Type, ID: r.ID} }

// VersionID returns meta.versionId as text, the form used in ETags.
func (r *Resource) VersionID() string { return strconv.FormatInt(r.Version, 10) }

// Ref names a resource. Institution "" means "whichever institution owns it":
// reads and deletes then look across partitions (a fan-out on a distributed
// engine), and fail with ErrConflict if the id exists in more than one.
type Ref struct {
	Institution string
	Type        string
	ID          string
}

func (r Ref) String() string { return r.Type + "/" + r.ID }

// Input is the content of a create or update.
type Input struct {
	// Institution owns the resource; required.
	Institution string
	// Type must equal the JSON's resourceType.
	Type string
	// ID is the client-assigned id of an Update; Create ignores it and
	// assigns one.
	ID string
	// JSON is the resource. The store sets "id" and meta.versionId and
	// meta.lastUpdated, keeping every other member (and the rest of meta)
	// as given.
	JSON []byte
	// IfMatch, when > 0, makes an Update fail with ErrPrecondition unless the
	// current version is IfMatch (FHIR If-Match: W/"n").
	IfMatch int64
	// Node, optional, is JSON already decoded (the same resource): a store
	// whose indexer can index a tree indexes it, with the id and meta the
	// store sets, instead of decoding JSON again. The store reads it until
	// the transaction ends; the caller must not change it meanwhile.
	Node *fhir.Node
}

// Reader reads resources.
type Reader interface {
	// Read returns the current version. A deleted resource yields its
	// deletion version (Deleted set, JSON nil) together with an error
	// wrapping ErrGone; a resource that never existed yields ErrNotFound.
	Read(ctx context.Context, ref Ref) (*Resource, error)
	// VRead returns one version; a deletion version comes with ErrGone, an
	// unknown version with ErrNotFound.
	VRead(ctx context.Context, ref Ref, version int64) (*Resource, error)
}

// Writer changes resources. Each method is atomic on its own; inside a Tx all
// of the Tx's writes commit or roll back together.
type Writer interface {
	// Create stores a new resource under a server-assigned id, version 1.
	Create(ctx context.Context, in Input) (*Resource, error)
	// CreateIfNoneExist is a conditional create (FHIR If-None-Exist). The
	// criteria (a search query string, "identifier=http://x|1") are
	// normalised by [CriteriaKey]; if a live resource of in.Type in
	// in.Institution already holds that key it is returned with created
	// false, otherwise a new resource is created and takes the key. Two
	// concurrent calls with the same criteria yield exactly one resource.
	CreateIfNoneExist(ctx context.Context, in Input, criteria string) (r *Resource, created bool, err error)
	// Update stores a new version of in.Type/in.ID, creating it (version 1,
	// created true) when it does not exist (update-as-create with a client
	// id). Updating a deleted resource revives it with the next version.
	Update(ctx context.Context, in Input) (r *Resource, created bool, err error)
	// Delete records a logical deletion as a new version; history is kept.
	// ifMatch > 0 is an If-Match precondition. Deleting a deleted resource
	// returns its deletion version without writing; a resource that never
	// existed yields ErrNotFound.
	Delete(ctx context.Context, ref Ref, ifMatch int64) (*Resource, error)
}

// Tx is a transaction: many reads and writes that commit atomically, outbox
// entries included. A Tx is not safe for concurrent use. After Commit or
// Rollback every method fails with ErrClosed, except Rollback, which is then a
// no-op, so `defer tx.Rollback(ctx)` is always safe.
type Tx interface {
	Reader
	Writer
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// FreshCreator is a Tx that creates a resource under an id the caller drew
// with NewID (a Bundle's POST entry, whose id other entries reference): no
// lookup of an existing row, which cannot be there, is made first (one
// round trip fewer per resource on PostgreSQL). A clash is ErrConflict.
type FreshCreator interface {
	CreateFresh(ctx context.Context, in Input) (*Resource, error)
}

// Store is the contract every storage engine implements. It is safe for
// concurrent use.
type Store interface {
	Reader
	Writer
	// Begin starts a transaction. Transactions are serialisable with respect
	// to the resources they write (see the package documentation for each
	// engine's locking).
	Begin(ctx context.Context) (Tx, error)
	// History lists versions, newest first, one page at a time.
	History(ctx context.Context, q HistoryQuery) (*HistoryPage, error)
	// Changes returns up to limit outbox entries with Seq > after, in
	// commit order. Seq numbers are dense: 1, 2, 3, ... with no gaps.
	Changes(ctx context.Context, after int64, limit int) ([]Change, error)
	// Close releases the store's connections.
	Close() error
}

// HistoryQuery selects versions for the history interactions.
type HistoryQuery struct {
	Institution string    // "" = all institutions
	Type        string    // "" = system history
	ID          string    // instance history; requires Type
	Since       time.Time // only versions with LastUpdated >= Since (zero: no bound)
	// At, if set, selects for each resource the version current at At
	// (the last with LastUpdated <= At).
	At     time.Time
	Count  int    // page size; 0 means DefaultCount, capped at MaxCount
	Cursor string // "" for the first page, else HistoryPage.Next
}

// Page sizes for History and Search.
const (
	DefaultCount = 50
	MaxCount     = 1000
)

// HistoryPage is one page of a history. Entries include deletion versions.
type HistoryPage struct {
	Entries []*Resource
	Next    string // cursor of the next page; "" on the last page
}

// Op is the kind of a change.
type Op string

// Change operations.
const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// Change is one outbox entry: a version written by a committed transaction.
type Change struct {
	Seq         int64 // commit-order sequence, dense from 1
	Institution string
	Type        string
	ID          string
	Version     int64
	Op          Op
	Committed   time.Time
}
