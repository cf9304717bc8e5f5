// Package patch applies the two patch formats FHIR R4 accepts for the patch
// interaction (http://hl7.org/fhir/R4/http.html#patch):
//
//   - FHIRPath Patch (http://hl7.org/fhir/R4/fhirpatch.html), a Parameters
//     resource of add, insert, delete, replace and move operations addressed
//     by FHIRPath, applied to the [fhir.Node] tree ([FHIRPath]);
//   - JSON Patch (RFC 6902) over the resource's JSON ([JSON]).
//
// Either way the patched resource is then re-read by the strict JSON codec,
// so a patch can never produce what a client could not have sent: an unknown
// element, a second value in a 0..1 element or a malformed primitive is a
// KindInvalid error, and the input tree is never modified.
//
// Errors are *fhir.Error values (KindInvalid for a bad patch, KindPrecondition
// for a failed JSON Patch test operation is not used: RFC 6902 says a failed
// test is an error, so it is KindInvalid too) whose issues name the operation
// at fault ("Parameters.parameter[2]" or "/2" for JSON Patch).
package patch
