package store

import (
	"context"
	"errors"
	"time"
)

// Queue is an optional interface: a durable work queue kept in the same
// database as the resources, so that marking an item done commits
// atomically with the FHIR writes it caused. The HL7 v2 inbox (store
// before ACK) and outbox (delivery to downstream systems) are its users.
// Detect it at run time, like [Searcher]:
//
//	q, ok := st.(store.Queue)
//
// # Items, partitions and order
//
// An item belongs to a named queue ("hl7.in", "hl7.out") and to a
// partition inside it (a sender, a destination). Within a partition items
// are delivered in enqueue order: [Queue.Claim] only hands out the head of a
// partition (its oldest item not yet done or parked in the error state) and
// the run of claimable items right behind it, so a partition whose head is
// leased or waiting for a retry is blocked, while other partitions go on.
// An item that exhausts its attempts moves to [QueueError] and stops
// blocking its partition; it stays visible and can be replayed.
//
// # Deduplication
//
// An item may carry a DedupeKey (for HL7 v2: sender and MSH-10). Enqueuing
// a key that exists in the same queue and institution inserts no row and
// reports the existing item with Duplicate set.
//
// # Group commit
//
// [Queue.Enqueue] takes many items and commits them in one transaction:
// one fsync for a whole batch. On SQLite a single commit costs about a
// millisecond, so a listener that gathers concurrent messages for a
// millisecond or two and enqueues them together acknowledges several
// thousand messages per second instead of about a thousand.
//
// # Leases, completion and retries
//
// Claim leases items to an owner until a deadline. The owner then either
// completes an item inside its own store transaction ([QueueTx.QueueComplete],
// the FHIR writes and the "done" mark commit or roll back together), fails
// it ([Queue.Fail]: the attempt is counted, the error kept, and the item
// waits with exponential backoff or, after MaxAttempts, goes to the error
// state), or releases it unprocessed ([Queue.Release]). A lease that
// expires (its owner crashed) makes the item claimable again; completing
// an item whose lease was lost fails with ErrConflict, so the caller rolls
// its writes back and nothing is applied twice.
//
// # Partition key
//
// Every item carries an Institution, the store's partition key, like every
// other data table.
type Queue interface {
	// Enqueue stores items in one transaction and returns, for each, its
	// id and whether it was a duplicate of an existing item.
	Enqueue(ctx context.Context, items []QueueInput) ([]Enqueued, error)
	// Claim leases up to Limit claimable items of one queue to Owner until
	// now+Lease, heads of partitions first (oldest first), each followed
	// by up to PerPartition-1 items of the same partition. Items are
	// returned grouped by partition, in enqueue order.
	Claim(ctx context.Context, c ClaimRequest) ([]QueueItem, error)
	// Complete marks a leased item done in a transaction of its own; use
	// QueueTx.QueueComplete to make it atomic with other writes.
	Complete(ctx context.Context, id int64, owner, outcome string) error
	// Fail records a failed attempt of a leased item.
	Fail(ctx context.Context, id int64, f QueueFailure) (QueueState, error)
	// Release returns leased items to pending without counting an
	// attempt (a worker stopping, or the rest of a batch after a failure).
	Release(ctx context.Context, owner string, ids ...int64) error
	// Get returns one item with its body.
	Get(ctx context.Context, id int64) (*QueueItem, error)
	// List returns items of a queue, by ascending id, without bodies.
	List(ctx context.Context, q QueueListQuery) ([]QueueItem, error)
	// Replay returns items in the error state (or done: processed again)
	// to pending with their attempts reset. With ids, only those; without,
	// every item of the queue in the error state. It returns how many.
	Replay(ctx context.Context, queue string, ids ...int64) (int64, error)
	// Counts returns the number of items per partition, type and state,
	// with the last error of each partition and type.
	Counts(ctx context.Context, queue string) ([]QueueCount, error)
}

// QueueTx is implemented by the transactions of engines that implement
// Queue: queue writes that commit with the transaction's other writes.
type QueueTx interface {
	// QueueComplete marks a leased item done (ErrConflict when owner no
	// longer holds the lease or the item is not leased).
	QueueComplete(ctx context.Context, id int64, owner, outcome string) error
	// QueueEnqueue stores items as Queue.Enqueue does, inside the
	// transaction.
	QueueEnqueue(ctx context.Context, items []QueueInput) ([]Enqueued, error)
	// SetCursor and Cursor keep a consumer's position (e.g. in the change
	// outbox) under a name, atomically with the transaction's other
	// writes.
	SetCursor(ctx context.Context, name string, value int64) error
	Cursor(ctx context.Context, name string) (int64, error)
}

// QueueState is the state of a queue item.
type QueueState string

// Queue item states.
const (
	QueuePending QueueState = "pending" // waiting to be claimed (maybe after a retry delay)
	QueueLeased  QueueState = "leased"  // claimed by an owner until its lease ends
	QueueDone    QueueState = "done"    // completed
	QueueError   QueueState = "error"   // parked: attempts exhausted or unprocessable; replayable
)

// ErrQueueLease: the item is not leased to the caller (any more).
var ErrQueueLease = errors.New("store: queue lease lost")

// QueueInput is one item to enqueue.
type QueueInput struct {
	Queue       string // required: the queue's name
	Institution string // required: the partition key of the store
	Partition   string // required: the ordering partition (sender, destination)
	DedupeKey   string // "" = no deduplication
	Type        string // message type, for counts ("ADT^A01")
	Meta        []byte // caller's metadata (JSON), kept as is
	Body        []byte // the payload, kept as is
	// Error, when set, stores the item directly in the error state with
	// this text (an unparseable message kept for inspection).
	Error string
	// NotBefore delays the first claim (zero: now).
	NotBefore time.Time
}

// Enqueued is the outcome of one enqueued item.
type Enqueued struct {
	ID        int64
	Duplicate bool       // an item with the same DedupeKey existed; ID is that item
	State     QueueState // the (existing) item's state
}

// ClaimRequest selects items to lease.
type ClaimRequest struct {
	Queue        string
	Owner        string        // lease owner, e.g. "hl7-worker-3@host"
	Lease        time.Duration // lease length; 0 means 30 s
	Limit        int           // most items in all; 0 means 16
	PerPartition int           // most consecutive items of one partition; 0 means 1
	// Partitions, when set, restricts the claim to these partitions.
	Partitions []string
}

// QueueItem is a stored item.
type QueueItem struct {
	ID          int64
	Queue       string
	Institution string
	Partition   string
	DedupeKey   string
	Type        string
	State       QueueState
	Attempts    int
	NextAt      time.Time // earliest next claim (pending)
	LeaseUntil  time.Time // leased: end of the lease
	Owner       string    // leased: the owner
	Enqueued    time.Time
	Updated     time.Time
	LastError   string
	Outcome     string // what completion recorded
	Meta        []byte
	Body        []byte // nil from List
}

// QueueFailure describes a failed attempt.
type QueueFailure struct {
	Owner string
	Error string
	// MaxAttempts: when the item has been attempted this many times it
	// moves to the error state; 0 means 5. Permanent failures pass 1.
	MaxAttempts int
	// Backoff is the delay after the first failure, doubled after each
	// further one up to MaxBackoff; 0 means 1 s and 5 min.
	Backoff, MaxBackoff time.Duration
}

// QueueListQuery selects items to list.
type QueueListQuery struct {
	Queue     string
	State     QueueState // "" = any
	Partition string     // "" = any
	AfterID   int64      // paging: items with ID > AfterID
	Limit     int        // 0 means 100, capped at MaxCount
}

// QueueCount is one line of Queue.Counts.
type QueueCount struct {
	Partition   string
	Institution string
	Type        string
	State       QueueState
	N           int64
	LastError   string    // the newest error among items of this partition and type, if any
	LastErrorAt time.Time // when it was recorded
}
