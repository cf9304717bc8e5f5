// Package validate checks FHIR R4 resources ([fhir.Node] trees) against the
// base StructureDefinitions of the specification or against a profile, and
// reports the problems as [fhir.Issue] values ready for an OperationOutcome.
//
// # Usage
//
//	v := validate.New() // with the FHIRPath evaluator of package fhirpath
//	issues := v.Validate(ctx, n)
//	issues, err := v.ValidateProfile(ctx, n, "http://hl7.org/fhir/StructureDefinition/bodyweight")
//	oo := validate.OperationOutcome(issues) // an OperationOutcome resource
//
// A resource is valid when no issue has severity error (or fatal).
//
// # What is checked
//
// From the snapshot of the type (or profile), recursively through backbone
// elements, data types, contentReferences, contained and Bundle entry
// resources: element names; types, including choice types; cardinality
// (min and max); fixed[x] and pattern[x] values; required bindings of code,
// Coding and CodeableConcept to value sets the definitions enumerate
// completely (see model.ValueSetContains; a CodeableConcept needs one coding
// in the set); the primitive regular expressions and maxLength; and every
// invariant (ele-1, dom-2..dom-6, each resource's own, data type invariants
// such as per-1 and qty-3) evaluated with FHIRPath. ele-1 and ext-1 are
// evaluated natively. Issue codes: structure, required, value,
// code-invalid, invariant (with the constraint key), and processing (a
// warning) when an invariant cannot be evaluated.
//
// Profiles are validated from their own snapshot after the base type: their
// tightened cardinalities, types and fixed/pattern values apply, and the
// type slices of choice elements ("Observation.value[x]:valueQuantity")
// define the values of that type. Other slices (discriminated by value or
// pattern) are not yet matched; their constraints are not checked.
//
// # Concurrency
//
// A Validator is safe for concurrent use; it caches parsed invariants and
// fixed/pattern values per instance.
//
// # Specification
//
// FHIR R4 (4.0.1) §2.4 validation (http://hl7.org/fhir/R4/validation.html),
// ElementDefinition (http://hl7.org/fhir/R4/elementdefinition.html),
// profiling (http://hl7.org/fhir/R4/profiling.html) and terminology
// bindings (http://hl7.org/fhir/R4/terminologies.html#binding).
package validate
