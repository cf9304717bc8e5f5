// Package fhirxml reads and writes FHIR XML (http://hl7.org/fhir/R4/xml.html)
// to and from the [fhir.Node] tree, the same tree package fhirjson produces,
// so every other package is format-agnostic.
//
// # Rules
//
//   - The root element is the resource type in the http://hl7.org/fhir
//     namespace; resources inside resources (contained, Bundle.entry.resource,
//     Parameters.parameter.resource) are wrapped in their own type element.
//   - Primitives carry their value in a value attribute and may have an id
//     attribute and extension children; element ids and Extension.url are
//     attributes, everything else is an element, in definition order on
//     output (input order is accepted and the tree is put in definition
//     order, as the JSON decoder does).
//   - Narrative div is XHTML kept verbatim: the decoder keeps the exact bytes
//     of the div element (adding the XHTML namespace declaration when the
//     source declared it on an ancestor), the encoder writes them back.
//   - Unknown elements, attributes other than value/id/url, text outside
//     the div and values that break their primitive type are errors whose
//     issues carry the FHIRPath location, as in fhirjson.
//
// # Limits
//
// Comments and processing instructions are dropped (FHIR JSON cannot carry
// them either). Input is capped by the caller (the server limits request
// bodies); nesting is capped at 128 levels.
package fhirxml
