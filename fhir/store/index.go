package store

import (
	"context"
	"strconv"
	"time"
)

// Indexer extracts search index entries from a resource. The store calls it
// inside the write transaction of every create and update (and removes a
// resource's entries when it is deleted), so the index tables change
// atomically with the resource. r.JSON already carries the final id and
// meta. An error from Index aborts the write.
//
// The production indexer evaluates the official SearchParameter FHIRPath
// expressions; tests use small hand-written ones.
type Indexer interface {
	Index(ctx context.Context, r *Resource) ([]IndexEntry, error)
}

// ParamAlias says where the values of a search parameter that keeps no index
// rows of its own are found: in the rows of other parameters of the same
// resource type. Many R4 parameters repeat others (Observation's patient is
// subject.where(resolve() is Patient); combo-code is code | component.code):
// indexing them again would write the same values twice.
type ParamAlias struct {
	// Params are the parameters whose rows hold the values: one for a
	// restriction of another parameter, several for a union.
	Params []string
	// RefType, for a reference parameter, keeps only the rows that
	// reference this resource type.
	RefType string
}

// ParamAliaser is implemented by an Indexer that leaves some parameters to
// the rows of others; the store then searches those rows instead.
type ParamAliaser interface {
	// ParamAlias returns the alias of parameter code on resourceType, if
	// it has one.
	ParamAlias(resourceType, code string) (ParamAlias, bool)
}

// IndexerFunc adapts a function to Indexer.
type IndexerFunc func(ctx context.Context, r *Resource) ([]IndexEntry, error)

// Index calls f.
func (f IndexerFunc) Index(ctx context.Context, r *Resource) ([]IndexEntry, error) { return f(ctx, r) }

// ParamType is a FHIR search parameter type; each has its own index table.
type ParamType uint8

// Search parameter types (http://hl7.org/fhir/search-param-type).
const (
	ParamString    ParamType = iota + 1 // idx_string
	ParamToken                          // idx_token
	ParamDate                           // idx_date
	ParamNumber                         // idx_number
	ParamQuantity                       // idx_quantity
	ParamReference                      // idx_reference
	ParamURI                            // idx_uri
	ParamText                           // idx_text: _text and _content, matched by :contains only
)

var paramTypeNames = [...]string{"", "string", "token", "date", "number", "quantity", "reference", "uri", "text"}

func (t ParamType) String() string {
	if int(t) < len(paramTypeNames) && t != 0 {
		return paramTypeNames[t]
	}
	return "param-type(" + strconv.Itoa(int(t)) + ")"
}

// IndexEntry is one row of an index table. Which fields matter depends on
// Type:
//
//	String:    Text (the store adds a normalised copy for matching)
//	Token:     System, Code, Text (display, for :text)
//	Date:      Lo, Hi: the instant range the value covers, [Lo, Hi)
//	Number:    Lo, Hi as NumLo, NumHi (the range implied by the precision)
//	Quantity:  NumLo, NumHi, System, Code; CanonLo, CanonHi, CanonCode for
//	           the UCUM-normalised value when the indexer can compute it
//	Reference: RefType, RefID (local), Text (absolute or canonical URL)
//	URI:       Text
//	Text:      Text, a whole text (the store keeps its normalised form)
//
// Number and quantity values are compared as points: indexers set NumLo =
// NumHi (and CanonLo = CanonHi) to the value itself.
//
// Group ties together the component rows of one composite value: entries
// with Param "code#0", "code#1"... and the same Group (> 0) are one value of
// the composite parameter "code".
type IndexEntry struct {
	Group        int
	Param        string
	Type         ParamType
	Text         string
	System, Code string
	Lo, Hi       time.Time
	NumLo, NumHi float64
	CanonCode    string
	CanonLo      float64
	CanonHi      float64
	RefType      string
	RefID        string
}
