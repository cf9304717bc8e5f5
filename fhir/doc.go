// Package fhir is the core of yigong's FHIR R4 implementation: the resource
// tree that every other package reads and writes, and the error kinds that
// the edges (REST, HL7 ACKs, DICOM statuses) translate into their own terms.
//
// # The resource tree
//
// A resource is a tree of [Node] values. Every node knows its FHIR type and
// the element definition it conforms to (from the generated tables in
// [yigong/fhir/model]), so the JSON codec (package fhirjson), FHIRPath
// (package fhirpath), the validator and search indexing all walk the same
// structure without a second schema lookup. Primitive values keep their
// lexical form: a decimal written "1.10" stays "1.10".
//
// # Primitive values
//
// [CheckPrimitive] checks a lexical form against its primitive type (the
// type's regular expression from the definitions, 32-bit integer ranges,
// calendar dates); the JSON codec and the validator share it.
// [PrimitiveJSONKind] says whether a type is a JSON string, number or
// boolean.
//
// # Errors
//
// Errors carry a [Kind] (Invalid, NotFound, Conflict, ...) rather than an HTTP
// status; only server/ maps kinds to HTTP, only adapters map them to ACK codes
// and DIMSE statuses. An [Error] may carry one or more [Issue] values, each
// with a FHIRPath location, which become OperationOutcome.issue entries.
//
// # Concurrency
//
// A Node tree is a plain value: safe for concurrent reads, not for a write
// concurrent with anything else.
package fhir
