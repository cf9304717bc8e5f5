package store

import (
	"context"
	"math"
	"time"
)

// The interfaces below are optional: an engine implements them when it can,
// and callers detect them with a type assertion, falling back (or reporting
// fhir.KindNotSupported) when they are absent.

// Migrator is implemented by engines with a versioned schema. Migrate applies
// the migrations not yet recorded in schema_migrations and reports how many it
// applied; a second call applies none. Engines migrate when opened, so callers
// rarely need it.
type Migrator interface {
	Migrate(ctx context.Context) (applied int, err error)
}

// SingleWriter is implemented by engines whose write transactions run one
// at a time (SQLite): a caller with several writers of its own can queue
// them itself, so that another caller's urgent write (an HL7 inbox commit
// before its ACK) waits for one transaction at most, not for every writer
// queued before it.
type SingleWriter interface {
	SingleWriter() bool
}

// Searcher is implemented by engines that answer searches from their index
// tables. A Tx of such an engine implements it too, so conditional
// operations inside a transaction see the transaction's own writes.
type Searcher interface {
	Search(ctx context.Context, q SearchQuery) (*SearchPage, error)
}

// Reindexer is implemented by engines that can rebuild the index rows of the
// resources they hold with the Indexer they were opened with, after search
// parameters were added or changed.
type Reindexer interface {
	// Indexer returns the engine's Indexer (nil when it has none).
	Indexer() Indexer
	// ReindexCount counts the current, non-deleted resources of types (all
	// types when empty).
	ReindexCount(ctx context.Context, types []string) (int64, error)
	// Reindex re-indexes up to batch resources of types after the cursor
	// ("" to start), each batch in one write transaction, and returns how
	// many it indexed and the cursor to continue from ("" when done).
	Reindex(ctx context.Context, types []string, cursor string, batch int) (n int, next string, err error)
}

// Pinger is implemented by engines that can check their connection.
type Pinger interface {
	Ping(ctx context.Context) error
}

// PartitionAuditor is implemented by engines that can report, for each of
// their data tables, how many rows they hold and how many lack a partition
// key (institution). Operators run it before distributing tables; the shared
// test suite runs it after every write test.
type PartitionAuditor interface {
	AuditPartitions(ctx context.Context) ([]TableAudit, error)
}

// TableAudit is one table's line of a partition audit.
type TableAudit struct {
	Table              string
	Rows               int64
	WithoutInstitution int64
}

// SearchQuery is a search over the current, non-deleted resources of one
// type (or, for a system search, of Types, or of every type): filters are
// ANDed, the values inside one filter ORed.
type SearchQuery struct {
	Institution string   // "" = all institutions
	Type        string   // the resource type; "" for a system search
	Types       []string // system search (_type): the types to search; empty = all
	Filters     []Filter
	// Sort keys, most significant first; ties always break on id and
	// institution. Empty means _id ascending. Sort values of parameters
	// are the smallest (ascending) or largest (descending) value a resource
	// has; resources without a value sort last.
	Sort []SortKey
	// Count is the page size; 0 means DefaultCount, capped at MaxCount.
	Count int
	// Cursor is "" for the first page, else SearchPage.Next. A cursor
	// encodes the sort values and key of the last entry of its page (keyset
	// paging), so pages do not shift when resources are written meanwhile.
	Cursor string
	// Total asks for SearchPage.Total, the number of all matches.
	Total bool
	// OnlyTotal returns no entries, only the total (_summary=count, _count=0).
	OnlyTotal bool
	// Include and RevInclude add referenced and referencing resources of
	// the page (_include, _revinclude) to SearchPage.Included.
	Include []Include
}

// SortKey is one key of a sort.
type SortKey struct {
	Param string    // "_id", "_lastUpdated", or a parameter of the searched type
	Type  ParamType // the parameter's type (ignored for _id and _lastUpdated)
	Desc  bool
}

// Include is one _include or _revinclude.
type Include struct {
	Rev bool // _revinclude: resources of Source whose Param references a page entry
	// Source is the resource type whose reference parameter is followed:
	// the page's type for _include, the referencing type for _revinclude.
	Source string
	Param  string // reference parameter of Source; "*" = all of them
	Target string // only targets of this type ("" = any)
	// Iterate applies the include to included resources too, repeatedly
	// (:iterate), up to MaxIncludeRounds rounds.
	Iterate bool
}

// MaxIncludeRounds bounds :iterate; MaxIncluded bounds the included
// resources of one page.
const (
	MaxIncludeRounds = 4
	MaxIncluded      = 2000
)

// Special parameter names the engines implement on the resources table, not
// the index tables.
const (
	ParamID          = "_id"
	ParamLastUpdated = "_lastUpdated"
)

// ParamNear is the type of a Filter over a position (R4 Location near,
// http://hl7.org/fhir/R4/location.html#positional): the position is
// indexed as number rows IndexEntry.Param "near#0", "near#1", "near#2"
// sharing a Group, holding the x, y and z of its unit vector on the
// sphere (NearRows). A value matches positions within FilterValue.Num
// kilometres (great-circle) of FilterValue.Lat, FilterValue.Long.
const ParamNear ParamType = 101

// ParamComposite is the type of a Filter over a composite parameter, whose
// component values are indexed as rows of their own types with
// IndexEntry.Param "code#0", "code#1"... and a shared Group.
const ParamComposite ParamType = 100

// Filter is one search parameter with its values (ORed).
type Filter struct {
	Param string // parameter code, "identifier"; _id and _lastUpdated are built in
	Type  ParamType
	// Modifier changes how values match:
	//   ""          the type's default
	//   "missing"   Values[0].Missing: the resource has no (true) / some (false) row
	//   "exact"     string: exact, case- and accent-sensitive equality
	//   "contains"  string, uri: normalised substring
	//   "text"      token: display/text contains the normalised text
	//   "not"       token: no row matches (resources without a value included)
	//   "above"     uri: the indexed URI is a prefix of the value
	//   "below"     uri: the value is a prefix of the indexed URI
	Modifier string
	// Values are matched according to Type:
	//   String:    Text as a normalised prefix (see NormalizeString)
	//   Token:     System|Code; System "" = any system (NoSystem: none);
	//              Code "" = any code of System
	//   Date:      Prefix and the search range [Lo, Hi) against the indexed
	//              range (http://hl7.org/fhir/R4/search.html#prefix)
	//   Number:    Prefix and Num with its implied range [Lo, Hi) against
	//              the indexed value
	//   Quantity:  as Number, in Canonical units when Canonical is set,
	//              else with System and Code (either may be "")
	//   Reference: RefType/RefID (RefType "" = any), or URL
	//   URI:       Text
	//   Composite: Components, one value per component, all in one group
	Values []FilterValue
	// Components are the types of a composite parameter's components.
	Components []ParamType
	// Chain, for a reference parameter, matches resources whose reference
	// points at a resource matching Chain (Type or Types; Filters).
	Chain *SearchQuery
	// Has matches resources referenced by a resource matching Has.
	Has *Has
	// AnyOf, when not empty, makes the filter match the resources that
	// match any of these filters (Param, Type, Values... of the filter
	// itself are then unused): a compartment, whose resources reference
	// the compartment's owner through any of several parameters
	// (http://hl7.org/fhir/R4/compartmentdefinition.html).
	AnyOf []Filter
	// OnType, when set, restricts the filter to resources of that type:
	// resources of other types never match it. A system search over a
	// compartment (Patient/1/*) gives each type its own parameters so.
	OnType string
}

// Has is a reverse chain: resources of Type whose reference parameter Param
// points at the searched resource, and which match Filters.
type Has struct {
	Type    string
	Param   string
	Filters []Filter
}

// FilterValue is one value of a Filter.
type FilterValue struct {
	Text         string
	Exact        bool // legacy: string equality, as Modifier "exact"
	System, Code string
	NoSystem     bool   // token: "|code", a code without a system
	Prefix       string // eq ne gt lt ge le sa eb ap; "" = eq
	Lo, Hi       time.Time
	Num          float64 // number, quantity: the value searched for
	NumLo, NumHi float64 // its implied range [NumLo, NumHi)
	Canonical    bool    // quantity: Num, NumLo, NumHi and Code are UCUM-canonical
	RefType      string
	RefID        string
	URL          string        // reference: an absolute or canonical URL
	Missing      bool          // :missing=true
	Components   []FilterValue // composite: one value per component
	Lat, Long    float64       // near: the centre, in degrees (WGS84)
}

// SearchPage is one page of search results.
type SearchPage struct {
	Entries  []*Resource
	Included []*Resource // from Include, each once, none of Entries
	Next     string      // cursor of the next page; "" on the last page
	// Prev is the cursor of the previous page; "" on the first page. A
	// cursor carries its direction: SearchQuery.Cursor = Prev returns the
	// Count entries just before this page's first, in the same order.
	Prev  string
	Total int64 // all matches, when SearchQuery.Total; else -1
}

// EarthRadiusKm is the mean radius of the Earth (IUGG), with which near
// distances are measured.
const EarthRadiusKm = 6371.0088

// NearVector returns the unit vector of a position on the sphere, the
// values of its ParamNear index rows "near#0", "near#1", "near#2".
func NearVector(lat, long float64) (x, y, z float64) {
	φ, λ := lat*math.Pi/180, long*math.Pi/180
	return math.Cos(φ) * math.Cos(λ), math.Cos(φ) * math.Sin(λ), math.Sin(φ)
}

// MetaRewriter is implemented by engines that can change the meta of a
// resource's current version in place, as R4's $meta-add and $meta-delete
// ask (http://hl7.org/fhir/R4/resource-operation-meta-add.html): no new
// version, no history entry, no change in the outbox (subscribers follow
// versions, and the version is the same), meta.versionId and
// meta.lastUpdated unchanged.
type MetaRewriter interface {
	// RewriteMeta replaces the stored body of the current version of ref
	// (ref.Institution is the owner's) by body and rebuilds its index rows
	// (_tag, _security, _profile and every other), in one transaction. It
	// fails with ErrPrecondition unless version is the current version,
	// with ErrGone for a deleted resource and ErrNotFound for an unknown
	// one. The caller changes meta only: the engine re-stamps id,
	// versionId, lastUpdated and the institution tag, and does not
	// compare the rest. It returns the resource as stored.
	RewriteMeta(ctx context.Context, ref Ref, version int64, body []byte) (*Resource, error)
}
