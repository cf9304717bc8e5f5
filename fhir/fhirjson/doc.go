// Package fhirjson reads and writes FHIR R4 resources in the JSON format
// (http://hl7.org/fhir/R4/json.html) as [fhir.Node] trees typed by the
// generated definitions of package model.
//
// The package has two layers, as encoding/json/jsontext and encoding/json
// do: a syntax layer (scan.go) that reads RFC 8259 JSON into a small generic
// tree keeping number lexical forms and member order and rejecting duplicate
// names, and the FHIR layer (decode.go, encode.go) that maps it onto the
// element definitions.
//
// # Usage
//
//	n, err := fhirjson.Unmarshal(data)                                  // any resource
//	n, err = fhirjson.UnmarshalOptions{ResourceType: "Patient"}.Unmarshal(data)
//	out, err := fhirjson.Marshal(n)
//	out, err = fhirjson.MarshalOptions{Indent: "  "}.Marshal(n)
//
//	dec := fhirjson.NewDecoder(r) // NDJSON, one resource per line
//	for {
//		n, err := dec.Decode()
//		if err == io.EOF {
//			break
//		}
//		...
//	}
//
// Decoding is strict. It checks resourceType (and the expected type when
// one is given); every element name against the definitions, including
// choice types ("valueQuantity" becomes Name "value", Type "Quantity") and
// contained and Bundle entry resources, each decoded with its own type;
// arrays for repeating elements and single values otherwise; the JSON type
// of each primitive (booleans, numbers, strings) and its lexical form
// against the type's regular expression ([fhir.CheckPrimitive]), 32-bit
// integer ranges and calendar dates; primitive extensions ("_birthDate"),
// with null alignment in arrays; and it rejects empty strings, arrays and
// objects, null outside that alignment, duplicate member names and invalid
// UTF-8. Decimals keep their lexical form ("1.10" stays "1.10", "1e2" stays
// "1e2"). Every error is a *fhir.Error of kind fhir.KindInvalid whose Issues
// carry a FHIRPath location ("Patient.name[0].given[1]"); decoding goes on
// after an error to collect up to MaxIssues of them. With Lenient, unknown
// elements are kept (Def == nil) and reported as warnings.
//
// Encoding writes resourceType first, then the children in tree order, which
// for decoded trees is definition order; primitives get a "_name" sibling
// when they carry an id or extensions. Output is UTF-8 without HTML escaping.
//
// # Concurrency
//
// Unmarshal, Marshal and the option methods are safe for concurrent use. A
// Decoder is used by one goroutine at a time.
//
// # Limits
//
// Nesting deeper than 256 levels is rejected; an NDJSON line is capped at
// DefaultMaxLineBytes (SetMaxLineBytes).
//
// # Specification
//
// FHIR R4 (4.0.1) §2.6.2 JSON representation
// (http://hl7.org/fhir/R4/json.html), §2.24 data types
// (http://hl7.org/fhir/R4/datatypes.html) and NDJSON for bulk data
// (http://hl7.org/fhir/R4/nd-json.html).
package fhirjson
