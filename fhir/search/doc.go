// Package search implements FHIR R4 search (http://hl7.org/fhir/R4/search.html)
// on top of the store's index tables: the [Indexer] that turns a resource
// into index rows by evaluating the official SearchParameter FHIRPath
// expressions, one row per value, typed per parameter type.
//
// # What is indexed
//
//	string     HumanName and Address parts and their text; for a family
//	           name in Han characters also family+given joined without a
//	           space, so name=王小东 finds family 王 given 小东; any string.
//	token      Coding system|code (display kept for :text), every coding of a
//	           CodeableConcept (its text too), Identifier system|value,
//	           ContactPoint system|value, code/boolean/id/string primitives.
//	date       date, dateTime and instant as the instant range their
//	           precision covers ([1990, 1991) for "1990"); Period; Timing
//	           events; local times without an offset are +08:00.
//	number     integer and decimal as the range their precision implies.
//	quantity   value range, system and code (or unit).
//	reference  Reference.reference as type and id when it is local
//	           (relative, or absolute under the server's own base), else the
//	           URL; canonical and uri targets as URL text.
//	uri        uri, url, canonical, oid, uuid as text.
//
// resolve() inside an expression ("subject.where(resolve() is Patient)")
// answers with an empty resource of the referenced type, which is all such
// expressions ask of it.
//
// Besides the official expressions it indexes: composite parameters as
// groups of component rows ("code-value-quantity#0", "#1", one Group per
// value); reference identifiers as token rows "subject:identifier";
// identifier types as token rows "identifier:of-type" (System = type system,
// Code = "type-code|value"); _text (the narrative) and _content (every
// string of the resource) as overlapping 200-character string rows; UCUM
// quantities in canonical base units (fhirpath.CanonicalUnit: 2000 mg is
// also 2 g). Numbers and quantities are points (NumLo = NumHi). _id and
// _lastUpdated are not indexed: the store answers them from its resources
// table. A few official expressions fail on some data (strict FHIRPath
// singleton rules); that parameter then has no value for that resource.
//
// # Parsing a search
//
// [Parse] turns a query (url.Values) into a [Plan]: a store.SearchQuery
// (filters ANDed, values ORed) plus _summary and _elements, and the query as
// understood for links. It follows http://hl7.org/fhir/R4/search.html:
//
//	types      number date string token reference composite quantity uri;
//	           special: _text and _content (normalised :contains), _list
//	prefixes   eq ne gt lt ge le sa eb ap on number, date, quantity (and
//	           composite components); dates compare the precision range of
//	           the value ([2024-01-01, 2025-01-01) for 2024, +08:00 when no
//	           zone) with the indexed range; numbers compare the point value
//	           with the value's precision range (100 is [99.5, 100.5))
//	modifiers  :missing (all), :exact :contains (string), :text :not :in
//	           :not-in (bundled value sets) :of-type (token), :above
//	           :below (token: terminology subsumption over the bundled code
//	           systems, through ParseOptions.Codes, e.g. [Subsumption];
//	           uri: URL prefixes), :identifier and :[type] (reference)
//	chains     subject.name, subject:Patient.name, any depth up to 5;
//	           _has:Type:param:... nested
//	special    near on Location (lat|long|distance|units, km by default,
//	           DefaultNearKm without a distance): positions are indexed as
//	           unit vectors (rows near#0..2), matched by great-circle
//	           distance
//	results    _sort (several keys of any indexed type), _count, _cursor
//	           (keyset paging both ways: next and previous), _total,
//	           _summary, _elements, _include, _revinclude (:iterate, *),
//	           _type for system search
//
// [ParseCompartment] parses a compartment search (Patient/1/Observation,
// Patient/1/*): the query plus one filter whose alternatives
// (store.Filter.AnyOf) are the compartment's parameters of each type. Only
// the Patient compartment is supported (the one the model holds).
//
// Unknown parameters, unknown modifiers and malformed values are errors
// (fhir.KindInvalid, one fhir.Issue per parameter with the parameter as its
// Expression); with ParseOptions.Lenient they are dropped and listed in
// Plan.Issues. What cannot be answered (:above/:below on a code system that
// is not bundled, such as SNOMED CT or LOINC) is an error with issue code
// not-supported even when lenient: never a partial answer. Not supported:
// :above/:below on references (R4 defines them for tokens and uris only),
// :text on strings, _query, _filter, _contained, sorting by near distance.
//
// Custom parameters: an [Indexer] registers every SearchParameter resource
// it indexes (so creating one over REST makes it searchable and indexes new
// writes with it) and, via LoadSearchParameters, those already stored;
// existing resources are backfilled by store.Reindexer.
//
// # Concurrency
//
// An Indexer is immutable after construction and safe for concurrent use.
package search
