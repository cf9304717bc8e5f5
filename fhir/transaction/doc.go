// Package transaction executes FHIR batch and transaction Bundles
// (http://hl7.org/fhir/R4/http.html#transaction) against the store: for the
// REST API's POST [base] and for the adapters, whose HL7 v2 and DICOM
// mappings produce transaction Bundles.
//
// # Transactions
//
// All entries run in one store.Tx and commit or roll back together; a
// failing entry aborts the whole Bundle with an error that names it
// (Bundle.entry[3]). The processing rules of the specification apply:
//
//  1. Conditional references in resources (Patient?identifier=...) are
//     resolved by search first; no match or several is an error.
//  2. Entries are processed in the order DELETE, POST, PUT/PATCH, GET.
//     Creates whose id the server cannot know in advance (POST with
//     ifNoneExist, PUT Type?criteria that matches nothing) run first, in an
//     order that respects their references to each other, through the
//     store's race-free conditional create: two concurrent Bundles that
//     both create "the patient with identifier X" yield one patient.
//  3. Every reference to another entry's fullUrl (urn:uuid: or absolute) is
//     rewritten to Type/id before the resource is stored.
//
// # Batches
//
// Each entry runs on its own, in order; a failure is reported in that
// entry's response and the others proceed.
//
// # Conditional matching
//
// Searches are delegated to a [Matcher] (the server's search engine). They
// run before the transaction's writes, as the specification's order
// requires.
package transaction
