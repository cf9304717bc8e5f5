// Package fhirapi serves the FHIR R4 RESTful API
// (http://hl7.org/fhir/R4/http.html) over echo, one file per interaction as
// the specification lists them: read.go, vread.go, create.go, update.go,
// delete.go, history.go. Each handler decodes with fhirjson, calls the
// fhir/store contract and writes the answer; errors are returned, and
// [HandleError] is the one place that renders them as an OperationOutcome
// with the HTTP status of their fhir.Kind.
//
// # Operations
//
// Each operation owns a file (op_everything.go, op_validate.go, op_meta.go,
// op_expand.go, op_lookup.go, op_validate_code.go, op_subsumes.go);
// operations.go registers them (registerOperations), lists them for the
// CapabilityStatement ([API.Operations], [API.DeclareOperations]) and reads
// their parameters from the query or a Parameters body. Bad input is 400
// with the parameter's name as the expression. $meta-add and
// $meta-delete write a new version (the store has no in-place meta update;
// R4 says the version should not change).
//
// # Formats
//
// FHIR JSON (application/fhir+json, application/json, _format=json) and FHIR
// XML (application/fhir+xml, _format=xml) in and out; anything else is 415 /
// 406 with an OperationOutcome. _pretty=true indents.
//
// # Headers
//
// ETag (W/"versionId"), Last-Modified and Location on every resource answer;
// If-Match (412 on mismatch), If-None-Match and If-Modified-Since on read
// (304), If-None-Exist on create, Prefer return=minimal|representation|
// OperationOutcome and handling=strict|lenient.
package fhirapi
