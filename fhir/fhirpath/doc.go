// Package fhirpath evaluates FHIRPath N1 expressions (http://hl7.org/fhirpath/N1/)
// over FHIR R4 resource trees, with the FHIR-specific functions and variables
// of http://hl7.org/fhir/R4/fhirpath.html.
//
// # Usage
//
// Parse an expression once and evaluate it many times:
//
//	e, err := fhirpath.Parse("Patient.name.where(use = 'official').given")
//	...
//	given, err := e.Evaluate(ctx, patient, fhirpath.Env{})
//	for _, it := range given {
//		fmt.Println(it.String())
//	}
//
// The input is a *fhir.Node (as decoded by package fhirjson). The result is a
// [Collection] of [Item] values; an item is either a FHIR node, which keeps its
// FHIR type (FHIR.code, FHIR.HumanName, FHIR.Patient), or a System value
// ([Boolean], [String], [Integer], [Decimal], [Date], [DateTime], [Time],
// [Quantity], [TypeInfo]). [Item.Value] converts FHIR primitives to System
// values (code → String, instant → DateTime, Quantity → System.Quantity).
// Invariants use [Collection.Bool] or [Expression.EvaluateBool] for singleton
// Boolean evaluation. [Expression.EvaluateCollection] evaluates on any input
// collection, System values included.
//
// [Env] carries %resource, %rootResource and %context (each defaulting to the
// input), user %variables, and the optional services: a [Resolver] for
// resolve() beyond the containing Bundle and contained resources, a
// [Terminology] for memberOf(), a [ProfileChecker] for conformsTo() on
// non-core profiles, a trace() sink and a clock for now()/today().
//
// # Errors
//
// Parse returns a *[SyntaxError] with line and column for lexical and
// grammatical errors, unknown functions, wrong argument counts and unknown
// type names. Evaluation errors (a collection with several items where one is
// required, operands of the wrong type, an element name that the input's type
// does not define, a cancelled context) are plain errors prefixed
// "fhirpath: ". Functions given an empty input return an empty collection,
// as the specification requires.
//
// # Concurrency
//
// An [Expression] is immutable after Parse: any number of goroutines may call
// Evaluate on it at once. Evaluation only reads the resource tree and Env.
// The package has no mutable package-level state; its tables (functions,
// UCUM units, the FHIR type hierarchy) are read-only.
//
// # Context
//
// Evaluate checks ctx regularly (every 1,024 function calls and lambda
// iterations) and returns its error wrapped when it is done; ctx is also
// passed to Resolver, Terminology and ProfileChecker.
//
// # Spec coverage
//
// The whole N1 grammar: literals (strings with \u escapes, numbers, dates,
// date-times and times with precision and offset, quantities with UCUM units
// and calendar durations), delimited identifiers, $this/$index/$total,
// %constants, comments, and every operator with N1 precedence. Functions:
// existence, filtering and projection, subsetting, combining, conversion
// (toX/convertsToX including toQuantity with a target unit), strings
// (including matchesFull, trim, split, join, encode/decode, escape/unescape),
// math, tree navigation, trace, now/today/timeOfDay, aggregate, sort,
// type()/is/as/ofType, lowBoundary/highBoundary/precision/comparable, and the
// FHIR functions extension(), hasValue(), getValue(), resolve(), memberOf(),
// htmlChecks(), conformsTo(). %ucum, %sct, %loinc, %"vs-name" and
// %"ext-name" are built in.
//
// Semantics follow the specification: three-valued logic; = and ~ with
// decimal precision, case- and whitespace-insensitive string equivalence and
// order-independent collection equivalence; date/time comparison field by
// field, empty when precisions differ, normalised to UTC when both values
// carry an offset (when only one does, the answer must hold for every offset
// from -12:00 to +14:00, else it is empty); calendar arithmetic clamping to
// the end of the month; quantities converted through UCUM, where calendar
// weeks, days, hours, minutes, seconds and milliseconds equal 'wk', 'd', 'h',
// 'min', 's', 'ms' but calendar years and months compare only with each
// other. Decimals are exact (math/big) and keep their scale; division keeps
// 16 fractional digits.
//
// The official R4 test suite (fhir/fhirpath/tests-fhir-r4.xml in the corpus)
// runs as TestOfficialSuite; the tests it does not pass are listed with the
// reason in testdata/known-failures.txt.
//
// # Limits
//
//   - Type checking is dynamic. An element name that the item's type does not
//     define is an error when the type is known exactly (the root resource, or
//     an element of one declared type), and after a cast to a FHIR type the
//     parser checks the member name; polymorphic and Resource-typed items are
//     not checked. Env.Strict also makes a leading type name that does not
//     match the input an error; without it such a name gives empty, which is
//     what multi-resource expressions ("Condition.code | Observation.code")
//     need. Ordered/unordered collection tracking (checkOrderedFunctions) is
//     not implemented.
//   - UCUM: the SI base and derived units with all prefixes and the clinical
//     and customary units (time, volume, mass, pressure including mm[Hg],
//     [in_i], [lb_av], %, mol, eq, U, [iU] and others) are known; an unknown
//     unit is commensurable only with itself. Cel and [degF] are treated as
//     linear (no offset).
//   - Regular expressions use Go's RE2 syntax: look-around and back-references
//     are errors.
//   - htmlChecks() parses the narrative as XML and enforces the R4 rules: a div
//     root in the XHTML namespace and only the HTML 4.0 formatting, list,
//     table, link and image elements with their attributes (style, class, id,
//     title, lang, dir on any element); scripts, forms, event handlers,
//     javascript: URLs, directives and foreign namespaces fail. It does not
//     check that img src points to an attachment or contained resource.
//   - conformsTo() answers core definitions (http://hl7.org/fhir/StructureDefinition/X:
//     the resource is X or derives from it) itself, and asks Env.Profiles for
//     any other profile; without one such a call is an error. It does not
//     validate the resource against the core definition.
//   - memberOf() needs Env.Terminology; without it, or for a value set the
//     service does not know, the result is empty. subsumes() and subsumedBy()
//     are errors; elementDefinition() and slice() are not provided.
//   - Integers are 32-bit as in N1; overflow is an error.
package fhirpath
